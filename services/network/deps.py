"""What the network's routes are given: the runtime typed with the network's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.network.settings import NetworkSettings
from shared.app import runtime_dependency_for
from shared.runtime import ServiceRuntime

NetworkRuntime = ServiceRuntime[NetworkSettings]
NetworkRuntimeDep = Annotated[NetworkRuntime, Depends(runtime_dependency_for(NetworkSettings))]
