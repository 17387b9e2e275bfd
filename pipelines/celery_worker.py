"""Target for ``celery -A pipelines.celery_worker worker -Q dagster``: the trainyard Celery app
(broker/backend from ``$TRAINYARD_CELERY_BROKER``/``$TRAINYARD_CELERY_BACKEND``)."""
from pipelines.executors import celery_definitions, worker_app

app = worker_app()
# Load the definitions once in the worker's main process, before the prefork pool forks: each pool
# process then starts its first step without re-importing every branch.
celery_definitions()
