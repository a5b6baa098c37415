"""Dataset loaders and small bundled data for pgmkit examples, tests and benchmarks."""
