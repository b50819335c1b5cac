"""The datasets' classes as WordNet synsets, in each dataset's label order, as data.

Explained in: book/implementation.md ("Synthetic twins").

ImageNet's subsets (ImageNet-10, ImageNet-Dogs) and ImageNet-1K list their synsets in the shipped files
``imagenet10_wnids.txt``, ``imagenet_dogs_wnids.txt`` and timm's class order
(:func:`laicpkg.features.realtext.imagenet1k_wnids`); :data:`IMAGENET_CLASS_FILES` names them.
"""
from __future__ import annotations

__all__ = ["CIFAR10", "STL10", "CIFAR20", "DTD", "UCF101", "CLASS_TABLES", "IMAGENET_CLASS_FILES"]

#: Each dataset's classes as (name, (WordNet ids, ...)), in the dataset's label order: the one list of its class
#: names (the small synthetic presets read theirs from here too).
CIFAR10 = (("airplane", ("n02691156",)), ("automobile", ("n02958343",)), ("bird", ("n01503061",)),
           ("cat", ("n02121620",)), ("deer", ("n02430045",)), ("dog", ("n02084071",)), ("frog", ("n01639765",)),
           ("horse", ("n02374451",)), ("ship", ("n04194289",)), ("truck", ("n04490091",)))


STL10 = (("airplane", ("n02691156",)), ("bird", ("n01503061",)), ("car", ("n02958343",)), ("cat", ("n02121620",)),
         ("deer", ("n02430045",)), ("dog", ("n02084071",)), ("horse", ("n02374451",)), ("monkey", ("n02484322",)),
         ("ship", ("n04194289",)), ("truck", ("n04490091",)))


#: CIFAR-20's superclasses with their five CIFAR-100 classes as WordNet synsets (the sense a CIFAR image shows;
#: "aquarium fish" is WordNet's goldfish, "pickup truck" its pickup, "tank" the army tank, "rocket" the vehicle).
CIFAR20 = (
    ("aquatic mammals", ("n02363005", "n02068974", "n02444819", "n02076196", "n02062744")),  # beaver … whale
    ("fish", ("n01443537", "n02657368", "n01495701", "n01482330", "n02537085")),  # goldfish, flatfish, ray, shark, trout
    ("flowers", ("n12041446", "n11900569", "n12620196", "n11978233", "n12454159")),  # orchid … tulip
    ("food containers", ("n02876657", "n02880940", "n02946921", "n03147509", "n03959485")),  # bottle … plate
    ("fruit and vegetables", ("n07739125", "n07734744", "n07747607", "n07767847", "n07720615")),  # apple … pepper
    ("household electrical devices", ("n03046257", "n03085013", "n03636248", "n04401088", "n04405907")),
    ("household furniture", ("n02818832", "n03001627", "n04256520", "n04379243", "n04550184")),  # bed … wardrobe
    ("insects", ("n02206856", "n02164464", "n02274259", "n02309337", "n02233338")),  # bee … cockroach
    ("large carnivores", ("n02131653", "n02128385", "n02129165", "n02129604", "n02114100")),  # bear … wolf
    ("large man-made outdoor things", ("n02898711", "n02980441", "n03544360", "n04096066", "n04233124")),
    ("large natural outdoor scenes", ("n09247410", "n08438533", "n09359803", "n09393605", "n09426788")),
    ("large omnivores and herbivores", ("n02437136", "n02402425", "n02481823", "n02503517", "n01877134")),
    ("medium-sized mammals", ("n02118333", "n02346627", "n01874928", "n02508021", "n02445715")),  # fox … skunk
    ("non-insect invertebrates", ("n01976957", "n01982650", "n01944390", "n01772222", "n01922303")),  # crab … worm
    ("people", ("n09827683", "n10285313", "n10084295", "n10287213", "n10787470")),  # baby, boy, girl, man, woman
    ("reptiles", ("n01697178", "n01699831", "n01674464", "n01726692", "n01662784")),  # crocodile … turtle
    ("small mammals", ("n02342885", "n02330245", "n02324045", "n01891633", "n02355227")),  # hamster … squirrel
    ("trees", ("n12752205", "n12268246", "n12582231", "n11608250", "n12724942")),  # maple, oak, palm, pine, willow
    ("vehicles 1", ("n02834778", "n02924116", "n03790512", "n03930630", "n04468005")),  # bicycle … train
    ("vehicles 2", ("n03649909", "n04099429", "n04335435", "n04389033", "n04465501")),  # lawn mower … tractor
)


#: DTD's 47 texture adjectives mapped to the WordNet noun synset of the pattern they name (DTD's classes are
#: adjectives, which WordNet's noun pool lacks): banded → band (adornment), chequered → checkerboard,
#: interlaced → latticework, lined → line (shape), marbled → marble (rock), pitted → pit (cavity), sprinkled →
#: sprinkles (candy), veined → vein (of a leaf), woven → weave (design), … one synset per class.
DTD = tuple((adjective, (wnid,)) for adjective, wnid in (
    ("banded", "n02784732"), ("blotchy", "n04694809"), ("braided", "n05259512"), ("bubbly", "n09229709"),
    ("bumpy", "n13894434"), ("chequered", "n03011521"), ("cobwebbed", "n03059685"), ("cracked", "n04693096"),
    ("crosshatched", "n04681797"), ("crystalline", "n14883206"), ("dotted", "n13911872"), ("fibrous", "n14866889"),
    ("flecked", "n04682462"), ("freckled", "n05245192"), ("frilly", "n03397532"), ("gauzy", "n03429914"),
    ("grid", "n05931512"), ("grooved", "n13893786"), ("honeycombed", "n09218315"), ("interlaced", "n03646916"),
    ("knitted", "n03624966"), ("lacelike", "n03631177"), ("lined", "n13863771"), ("marbled", "n14947807"),
    ("matted", "n03727837"), ("meshed", "n03819595"), ("paisley", "n03877351"), ("perforated", "n03915900"),
    ("pitted", "n09393108"), ("pleated", "n03965907"), ("polka-dotted", "n03978300"), ("porous", "n13912115"),
    ("potholed", "n09398076"), ("scaly", "n01902877"), ("smeared", "n04694441"), ("spiralled", "n13876561"),
    ("sprinkled", "n07604182"), ("stained", "n04695176"), ("stratified", "n08657249"), ("striped", "n04683136"),
    ("studded", "n04343346"), ("swirly", "n13878112"), ("veined", "n13098186"), ("waffled", "n07641699"),
    ("woven", "n04568298"), ("wrinkled", "n13905792"), ("zigzagged", "n13887319"),
))


#: UCF-101's 101 actions mapped to the WordNet noun synset of the sport, exercise, instrument or object the
#: action is about (UCF's classes are actions, not nouns). Where WordNet has the activity it is used (archery,
#: bench press, breaststroke, cliff diving, pole vault, sumo, t'ai chi, ...); otherwise the object acted on
#: (ApplyLipstick → lipstick, BlowDryHair → blow dryer, BrushingTeeth → toothbrush, CuttingInKitchen →
#: chopping board, Mixing → mixing bowl, MoppingFloor → mop, WritingOnBoard → blackboard, WalkingWithDog →
#: leash, WallPushups → wall) or the nearest instrument (PlayingDaf → tambourine, PlayingDhol → drum,
#: PlayingTabla → bongo); BabyCrawling is crawl in the sense of creeping, FrontCrawl the swimming stroke,
#: CricketBowling the cricket sense of bowling, Bowling the game, BoxingSpeedBag boxing, BoxingPunchingBag the
#: punching bag, FloorGymnastics gymnastic exercise, IceDancing figure skating, JumpingJack calisthenics,
#: Nunchucks martial art, SalsaSpin ballroom dancing, Skijet water scooter, SoccerPenalty free kick,
#: HandstandWalking walking, RopeClimbing rope, Rafting raft, Kayaking kayak. One synset per class.
UCF101 = tuple((action, (wnid,)) for action, wnid in (
    ("ApplyEyeMakeup", "n03309110"), ("ApplyLipstick", "n03676483"), ("Archery", "n00446980"),
    ("BabyCrawling", "n00294868"), ("BalanceBeam", "n02777292"), ("BandMarching", "n08249207"),
    ("BaseballPitch", "n00106272"), ("Basketball", "n00480993"), ("BasketballDunk", "n00110554"),
    ("BenchPress", "n00626574"), ("Biking", "n00451563"), ("Billiards", "n00499924"), ("BlowDryHair", "n03483316"),
    ("BlowingCandles", "n02948072"), ("BodyWeightSquats", "n00630071"), ("Bowling", "n00461782"),
    ("BoxingPunchingBag", "n04023962"), ("BoxingSpeedBag", "n00445802"), ("BreastStroke", "n00571060"),
    ("BrushingTeeth", "n04453156"), ("CleanAndJerk", "n00626838"), ("CliffDiving", "n00443692"),
    ("CricketBowling", "n00104976"), ("CricketShot", "n00476389"), ("CuttingInKitchen", "n03025513"),
    ("Diving", "n07466415"), ("Drumming", "n00545194"), ("Fencing", "n01171644"),
    ("FieldHockeyPenalty", "n00467995"), ("FloorGymnastics", "n00435778"), ("FrisbeeCatch", "n03397947"),
    ("FrontCrawl", "n00570366"), ("GolfSwing", "n00571609"), ("Haircut", "n00359822"), ("Hammering", "n01175316"),
    ("HammerThrow", "n07470110"), ("HandstandPushups", "n00436187"), ("HandstandWalking", "n00283568"),
    ("HeadMassage", "n00659048"), ("HighJump", "n07469476"), ("HorseRace", "n07461411"),
    ("HorseRiding", "n00450335"), ("HulaHoop", "n03548402"), ("IceDancing", "n00448748"),
    ("JavelinThrow", "n07470420"), ("JugglingBalls", "n00099799"), ("JumpingJack", "n00627437"),
    ("JumpRope", "n00485632"), ("Kayaking", "n03609235"), ("Knitting", "n00909471"), ("LongJump", "n07469609"),
    ("Lunges", "n00290276"), ("MilitaryParade", "n08428485"), ("Mixing", "n03775546"), ("MoppingFloor", "n04367480"),
    ("Nunchucks", "n00825443"), ("ParallelBars", "n03888605"), ("PizzaTossing", "n07873807"),
    ("PlayingCello", "n02992211"), ("PlayingDaf", "n04387400"), ("PlayingDhol", "n03249569"),
    ("PlayingFlute", "n03372029"), ("PlayingGuitar", "n03467517"), ("PlayingPiano", "n03928116"),
    ("PlayingSitar", "n04224842"), ("PlayingTabla", "n02869737"), ("PlayingViolin", "n04536866"),
    ("PoleVault", "n07469772"), ("PommelHorse", "n03980478"), ("PullUps", "n00629597"), ("Punch", "n00134780"),
    ("PushUps", "n00629318"), ("Rafting", "n04045397"), ("RockClimbingIndoor", "n00326094"),
    ("RopeClimbing", "n04108268"), ("Rowing", "n00445351"), ("SalsaSpin", "n00534849"),
    ("ShavingBeard", "n00254769"), ("Shotput", "n07469975"), ("SkateBoarding", "n00449054"), ("Skiing", "n00440747"),
    ("Skijet", "n04562122"), ("SkyDiving", "n00304040"), ("SoccerJuggling", "n04254680"),
    ("SoccerPenalty", "n00137534"), ("StillRings", "n04093223"), ("SumoWrestling", "n00448232"),
    ("Surfing", "n00445055"), ("Swing", "n04371774"), ("TableTennisShot", "n00499263"), ("TaiChi", "n00826789"),
    ("TennisSwing", "n00482298"), ("ThrowDiscus", "n07470285"), ("TrampolineJumping", "n04469514"),
    ("Typing", "n06402565"), ("UnevenBars", "n04509260"), ("VolleyballSpiking", "n00480211"),
    ("WalkingWithDog", "n03652932"), ("WallPushups", "n04546855"), ("WritingOnBoard", "n02846511"),
    ("YoYo", "n04613555"),
))


#: The datasets whose classes are listed here, by name.
CLASS_TABLES = {"cifar10": CIFAR10, "cifar20": CIFAR20, "dtd": DTD, "stl10": STL10, "ucf101": UCF101}

#: The shipped files that list an ImageNet subset's synsets, one wnid per line, in label order.
IMAGENET_CLASS_FILES = {"imagenet10": "imagenet10_wnids.txt", "imagenet-dogs": "imagenet_dogs_wnids.txt"}
