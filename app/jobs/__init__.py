"""Background jobs: the job functions (``registry``), the runner that records each run
and holds a database lock (``runner``), and the in-process scheduler (``scheduler``)."""
