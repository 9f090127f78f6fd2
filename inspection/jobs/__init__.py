"""Durable jobs: imports and linkage runs stored as rows (``models.Job``), claimed and run by
workers, read by any web process.

- ``queue``: enqueue, claim, renew, finish, and mark the jobs of ended workers as failed;
- ``lease``: the heartbeat that renews a running job's lease and writes its progress;
- ``runner``: what each kind of job does (an import, a batch of imports, a linkage run);
- ``worker``: the loop of ``inspection worker`` and of the worker inside the web process;
- ``outcome``: a job's outcome in plain English, for the pages and the command line.
"""
