"""A real local Ray for the runtime tests: started once, small object store (2-core, 24 GiB box). Without CUDA it
has LOGICAL_GPUS logical GPUs (Ray's ``--num-gpus``), so GPU placement is tested on CPU machines; with CUDA, the
real ones."""

import pytest

#: Logical GPUs of the test Ray on a machine without CUDA.
LOGICAL_GPUS = 4


@pytest.fixture(scope="session")
def ray_local():
    import ray
    import torch

    ray.init(num_cpus=2, num_gpus=None if torch.cuda.is_available() else LOGICAL_GPUS,
             object_store_memory=256 * 2**20, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
