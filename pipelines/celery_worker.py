"""Target for ``celery -A pipelines.celery_worker worker -Q dagster``: the trainyard Celery app
(broker/backend from ``$TRAINYARD_CELERY_BROKER``/``$TRAINYARD_CELERY_BACKEND``)."""
import ctypes
import signal

from celery.signals import worker_process_init

from pipelines.executors import celery_definitions, lease_renewal_step, worker_app

app = worker_app()
# Renew the visibility lease of running steps (a long step is never redelivered while its
# worker lives; a dead worker's steps are redelivered after the visibility timeout).
app.steps["consumer"].add(lease_renewal_step())


@worker_process_init.connect
def _die_with_the_worker(**_):
    """A pool process gets SIGKILL when the worker's main process dies (kill -9, OOM), so an
    orphan never keeps running a step whose message Redis will redeliver to another worker."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass

# Load the definitions once in the worker's main process, before the prefork pool forks: each pool
# process then starts its first step without re-importing every branch.
celery_definitions()
