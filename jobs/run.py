"""Ray job entrypoint: ``ray job submit --working-dir . -- python -m jobs.run jobs/paper.yaml [key=value ...]``.

Runs ``propersim run`` on the cluster the job was submitted to (``RAY_ADDRESS``, set by ``ray job submit``;
``auto`` otherwise). ``--out`` should be on storage the driver's node can write (and keep). Unless the
arguments say ``--resume`` or ``--overwrite``, it runs with ``--resume-or-start``: a job that the cluster
restarts (a KubeRay ``RayJob`` re-runs its entrypoint) continues its run instead of refusing the run directory.
"""

from __future__ import annotations

import os
import sys

from propersim.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--address" not in args:
        args += ["--address", os.environ.get("RAY_ADDRESS", "auto")]
    if not {"--resume", "--overwrite"} & set(args):
        args.append("--resume-or-start")
    sys.exit(main(["run", *args]))
