"""Running methods: configuration with sources, run records, the runner, sweeps and the Dask grid."""
