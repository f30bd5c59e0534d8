"""Static membership: every service's consumer joins its group under a name of its own slot, stable across
restarts and different between instances; a planned stop leaves the group; the fault suite fails a killed
service that takes longer than its bound to serve again."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.routing.settings import RoutingSettings
from shared.applier import Projection
from shared.consumer import REBALANCE_TIMEOUT_MS, SESSION_TIMEOUT_MS, ProjectionConsumer, leave_on_stop
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings, default_instance_id
from tests.faults.catchup import Backlog
from tests.faults.check import FaultRecord, Report
from tests.faults.scenario import FULL, KILLED_SERVICE_BOUND_S, judge_recoveries
from tests.faults.system import System

PROJECTION = Projection(name="p", migrations=[], tables=[], event_handlers={})
EVERY_SERVICE: list[type[ServiceSettings]] = [IntakeSettings, RoutingSettings, NotifySettings, ReportingSettings]


def projection_consumer(instance_id: str | None) -> ProjectionConsumer:
    return ProjectionConsumer(pool=None, bootstrap="127.0.0.1:1", group_id="apua.routing",  # type: ignore[arg-type]
                              topics=["t"], projection=PROJECTION, dead_letter_topic=lambda topic: topic,
                              instance_id=instance_id)


async def test_the_kafka_consumer_joins_under_the_slot_name_with_a_rebalance_timeout_of_the_session() -> None:
    consumer = projection_consumer("routing-7f9c")._new_consumer()
    assert consumer._group_instance_id == "routing-7f9c"
    assert consumer._session_timeout_ms == SESSION_TIMEOUT_MS
    assert consumer._rebalance_timeout_ms == REBALANCE_TIMEOUT_MS <= SESSION_TIMEOUT_MS
    assert projection_consumer(None)._new_consumer()._group_instance_id is None


@pytest.mark.parametrize("settings_class", EVERY_SERVICE, ids=lambda cls: cls.__name__)
async def test_every_service_gives_its_consumer_the_instance_id(settings_class: type[ServiceSettings],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APUA_INSTANCE_ID", "pod-abc")
    runtime = ServiceRuntime(settings_class())
    runtime.pool = object()  # type: ignore[assignment]
    spawned: list[Coroutine[Any, Any, None]] = []
    monkeypatch.setattr(runtime, "spawn", lambda coro, name: spawned.append(coro))
    consumer = runtime.start_consumer(PROJECTION, ["t"])
    for coro in spawned:
        coro.close()
    assert consumer.instance_id == "pod-abc"
    assert consumer._new_consumer()._group_instance_id == "pod-abc"


def test_the_default_name_is_the_host_and_the_port_and_an_empty_one_means_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APUA_INSTANCE_ID", raising=False)
    routing, intake = RoutingSettings(), IntakeSettings()
    assert routing.group_instance_id == default_instance_id(8020)
    assert routing.group_instance_id != intake.group_instance_id
    # Two instances on one machine differ by their ports; a host name with other characters is made legal.
    assert default_instance_id(8020, "node 1/ä") == "node-1---8020"
    assert default_instance_id(8020, "pod-a") != default_instance_id(8021, "pod-a")
    monkeypatch.setenv("APUA_INSTANCE_ID", "")
    assert RoutingSettings().group_instance_id is None


@pytest.mark.parametrize("bad", ["routing 1", "a/b", "x" * 250])
def test_a_name_kafka_would_refuse_is_refused_at_start(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APUA_INSTANCE_ID", bad)
    with pytest.raises(ValidationError, match="instance_id"):
        RoutingSettings()


def test_the_fault_suite_names_each_instance_for_good_and_each_differently(tmp_path: Path) -> None:
    system = System(tmp_path, replicas={"routing": 2, "reporting": 2})
    names = {instance: system.env(instance)["APUA_INSTANCE_ID"] for instance in system.instances}
    assert len(set(names.values())) == len(system.instances)
    assert names["routing"] != names["routing-2"] and names["reporting"] != names["reporting-2"]
    # A restart is started with the same environment again: the same name.
    assert system.env("routing")["APUA_INSTANCE_ID"] == names["routing"]
    # Without a name in the environment, the two routings on one machine would still differ (by port).
    ids = {instance: RoutingSettings.model_validate({"port": system.ports[instance]}).group_instance_id
           for instance in ("routing", "routing-2")}
    assert ids["routing"] != ids["routing-2"]
    # What the suite runs with --dynamic: no name, a new member at every start.
    dynamic = System(tmp_path / "dynamic", extra_env={"APUA_INSTANCE_ID": ""})
    assert dynamic.env("routing")["APUA_INSTANCE_ID"] == ""


def test_a_planned_stop_leaves_the_group_and_a_consumer_without_a_name_is_left_alone() -> None:
    static = SimpleNamespace(_coordinator=SimpleNamespace(_group_instance_id="routing"))
    leave_on_stop(static)  # type: ignore[arg-type]
    assert static._coordinator._group_instance_id is None
    leave_on_stop(SimpleNamespace(_coordinator=None))  # type: ignore[arg-type]  # never started: nothing to leave


async def test_a_cancelled_consumer_leaves_and_a_restarted_loop_does_not() -> None:
    """The loop's own restart keeps the name (the next consumer takes the place); cancelling gives it up."""
    left: list[str | None] = []

    class Fake:
        def __init__(self) -> None:
            self._coordinator = SimpleNamespace(_group_instance_id="routing")

        async def start(self) -> None:
            pass

        def subscribe(self, topics: list[str], listener: Any) -> None:
            pass

        async def stop(self) -> None:
            left.append(self._coordinator._group_instance_id)

    consumer = projection_consumer("routing")
    consumer.stall_after_s = 1.0
    fakes = iter([Fake(), Fake()])
    consumer._new_consumer = lambda: next(fakes)  # type: ignore[assignment,method-assign]
    rounds = 0

    async def loop(_: Any) -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise ConnectionError("the broker went away")  # the loop starts a new consumer
        await asyncio.Event().wait()

    consumer._loop = loop  # type: ignore[method-assign]
    task = asyncio.create_task(consumer.run())
    while rounds < 2:
        await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # The first stopped under its name (no LeaveGroup); the second, cancelled, without it (LeaveGroup).
    assert left == ["routing", None]


def fault(target: str, recovered: float | None, bound: float | None) -> FaultRecord:
    return FaultRecord(name=f"kill -9 {target}", target=target, injected_at=0.0, injected_wall=0.0,
                       recovered_s=recovered, bound_s=bound)


def test_the_suite_fails_a_killed_service_past_its_bound_and_prints_the_bound() -> None:
    assert {f.target: f.bound_s(240.0) for f in FULL} == {
        "kafka": 240.0, "postgres": 240.0, "smtp": 240.0,
        **{s: KILLED_SERVICE_BOUND_S for s in ("intake", "routing", "notify", "reporting")}}
    on_time = [fault("routing", KILLED_SERVICE_BOUND_S, KILLED_SERVICE_BOUND_S), fault("kafka", 60.0, 240.0)]
    report = Report(faults=on_time)
    judge_recoveries(report, on_time)
    assert not report.problems
    table = report.render("t")
    assert f"{KILLED_SERVICE_BOUND_S:g}" in table.splitlines()[4] and "<--" not in table

    late = [fault("routing", KILLED_SERVICE_BOUND_S + 0.1, KILLED_SERVICE_BOUND_S),
            fault("notify", None, KILLED_SERVICE_BOUND_S), fault("intake", 3.0, KILLED_SERVICE_BOUND_S)]
    report = Report(faults=late)
    judge_recoveries(report, late)
    assert report.problems == [f"killed services serving again later than {KILLED_SERVICE_BOUND_S:g} s after "
                               "their restart: 2"]
    assert "15 <--" in report.render("t")


def test_a_service_has_caught_up_once_its_backlog_at_the_restart_is_applied_and_published() -> None:
    backlog = Backlog(ends={("c", 0): 10, ("c", 1): 4}, outbox_last=7)
    assert backlog.done({("c", 0): 10, ("c", 1): 5}, outbox_waiting=0)
    assert not backlog.done({("c", 0): 9, ("c", 1): 5}, outbox_waiting=0)  # a record it missed not applied yet
    assert not backlog.done({("c", 0): 10}, outbox_waiting=0)  # a partition it never stored an offset for
    assert not backlog.done({("c", 0): 10, ("c", 1): 4}, outbox_waiting=1)  # a row from before still waits
