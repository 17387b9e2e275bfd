"""Target for ``celery -A pipelines.celery_worker worker -Q dagster``: the trainyard Celery app
(broker/backend from ``$TRAINYARD_CELERY_BROKER``/``$TRAINYARD_CELERY_BACKEND``)."""
from pipelines.executors import worker_app

app = worker_app()
