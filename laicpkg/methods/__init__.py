"""The estimators (one public class per method) and the registry of method names."""
