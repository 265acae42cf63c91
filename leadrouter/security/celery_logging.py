"""A Celery worker replaces the root logger's handlers with its own; give those the same
personal-data filter as the web's console handler."""

import logging

from celery.signals import after_setup_logger, after_setup_task_logger

from leadrouter.security.log_filters import PersonalDataFilter


def _install(logger: logging.Logger) -> None:
    for handler in logger.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())


@after_setup_logger.connect
def _filter_worker_logs(logger=None, **kwargs) -> None:
    if logger is not None:
        _install(logger)


@after_setup_task_logger.connect
def _filter_task_logs(logger=None, **kwargs) -> None:
    if logger is not None:
        _install(logger)
