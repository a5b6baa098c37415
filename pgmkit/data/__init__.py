"""DataFrames <-> engine arrays: encoding states, checking columns, sequence logs."""
