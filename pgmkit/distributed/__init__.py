"""pgmkit beyond one machine: Dask DataFrames, Parquet folders and torchrun.

The model facades hand a Dask input (or a Parquet folder) to this package, which runs
the same pandas code per partition on the workers:

- :mod:`.frames` detects Dask inputs, finds the scheduler, reads Parquet folders and
  keeps every sequence inside one partition;
- :mod:`.queries` maps batched and temporal queries over partitions;
- :mod:`.store` holds the encoded partitions (persisted on the workers, or spilled to
  disk on one machine) and reduces per-partition results as a tree;
- :mod:`.em` runs EM (E-step per partition, M-step on the driver) and closed-form
  estimation on those partitions;
- :mod:`.reals` gives random starts what they read of the data (per-partition
  summaries and the few drawn rows), so a Dask start is the pandas start;
- :mod:`.torchrun` sets up data-parallel training of deep models and devices.

Dask is an optional extra (``pip install pgmkit[dask]``); nothing here imports it at
module level.
"""
