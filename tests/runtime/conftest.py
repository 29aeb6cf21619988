"""A real local Ray for the runtime tests: started once, small object store (2-core, 24 GiB box)."""

import pytest


@pytest.fixture(scope="session")
def ray_local():
    import ray

    ray.init(num_cpus=2, object_store_memory=256 * 2**20, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
