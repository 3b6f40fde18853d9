import pytest

from clinic.tasks import ping


@pytest.mark.worker
def test_a_real_worker_on_redis_completes_a_task(celery_worker_process, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    result = ping.apply_async(queue=celery_worker_process)
    assert result.get(timeout=60) == "pong"
