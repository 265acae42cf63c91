"""A memo for the length of one transaction: what a unit of work reads several times
(a tenant's feedback settings, its webhook subscriptions) is read once per transaction."""

import weakref
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

# {connection: {key: (marker, value)}}. An entry is valid while its marker, an after-commit
# callback registered when it was stored, is still waiting in the connection's list and
# every savepoint it was stored in is still open: a commit runs it (and it drops the
# entry), a rollback discards it, and leaving the atomic block it was read in ends it. So
# nothing read here outlives the atomic block that read it; the next one (the next task,
# the next request, the next service call) reads afresh. A test case's own transaction
# does not count as one (Django marks it): in tests, as in production, a read outside any
# service's transaction is never memoized.
_memos: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def transaction_memo(key: tuple, load: Callable[[], Any]) -> Any:
    """`load()`, read once per transaction: later calls with the same key inside the same
    atomic block return the value the first one read (outside one: no memo).
    `memo_forget(key)` drops it, e.g. after a write to what it holds."""
    connection = connections[DEFAULT_DB_ALIAS]  # this thread's own, not the proxy
    if all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        return load()  # no atomic block, or only a test case's
    memo = _memos.setdefault(connection, {})
    entry = memo.get(key)
    if entry is not None and _pending(connection, entry[0]):
        return entry[1]
    value = load()

    def forget() -> None:
        if memo.get(key, (None,))[0] is forget:
            del memo[key]

    transaction.on_commit(forget)
    memo[key] = (forget, value)
    return value


def _pending(connection, marker: Callable) -> bool:
    open_savepoints = set(connection.savepoint_ids)
    return any(callback is marker and sids <= open_savepoints
               for sids, callback, _robust in connection.run_on_commit)


def memo_forget(key: tuple) -> None:
    memo = _memos.get(connections[DEFAULT_DB_ALIAS])
    if memo is not None:
        memo.pop(key, None)
