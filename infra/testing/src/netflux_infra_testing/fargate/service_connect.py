"""Service Connect as Docker networks: one network per Cloud Map namespace, joined by the tasks
of every service that has Service Connect enabled in it; a service's tasks carry its client
aliases' DNS names as network aliases there. So a client resolves exactly the names its service
is configured for, and nothing when Service Connect is off.

In ECS a client alias's port is what the client's proxy listens on, forwarding to the offering
container's named port mapping:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts.html
Here the client connects to the offering container directly, so an alias port that differs from
the container port would need a forwarder; that case is refused with a message rather than faked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.readback import EcsService


@dataclass(frozen=True)
class Endpoint:
    namespace: str  # the namespace's name
    dns_name: str
    port: int
    service: str  # the ECS service offering it


@dataclass(frozen=True)
class ServiceConnect:
    namespaces: dict[str, str]  # ECS service -> namespace name it has Service Connect on in
    endpoints: tuple[Endpoint, ...]

    def aliases(self, service: str) -> dict[str, tuple[str, ...]]:
        """Namespace name -> the DNS names `service`'s tasks answer to there."""
        found: dict[str, tuple[str, ...]] = {}
        for e in self.endpoints:
            if e.service == service:
                found[e.namespace] = (*found.get(e.namespace, ()), e.dns_name)
        return found


def read_service_connect(aws: Emulator, services: Mapping[str, EcsService]) -> ServiceConnect:
    discovery = aws.client("servicediscovery")
    names: dict[str, str] = {}
    namespaces: dict[str, str] = {}
    endpoints: list[Endpoint] = []
    for service in services.values():
        config = service.service_connect or {}
        if not config.get("enabled"):
            continue
        arn = config["namespace"]
        if arn not in names:
            namespace_id = arn.rsplit("/", 1)[-1]
            names[arn] = discovery.get_namespace(Id=namespace_id)["Namespace"]["Name"]
        namespaces[service.name] = names[arn]
        ports = {
            m.get("name"): int(m["containerPort"])
            for c in service.task_definition["containerDefinitions"]
            for m in c.get("portMappings", [])
        }
        for offered in config.get("services", []):
            port_name = offered["portName"]
            if port_name not in ports:
                raise RunFailed(
                    f"{service.name}: Service Connect offers port name {port_name!r}, but its "
                    f"task definition names only {sorted(p for p in ports if p)}"
                )
            aliases = offered.get("clientAliases") or [
                {"port": ports[port_name], "dnsName": offered.get("discoveryName") or port_name}
            ]
            for alias in aliases:
                dns_name = alias.get("dnsName") or offered.get("discoveryName") or port_name
                if int(alias["port"]) != ports[port_name]:
                    raise RunFailed(
                        f"{service.name}: client alias {dns_name}:{alias['port']} forwards to "
                        f"container port {ports[port_name]}; the rehearsal has no proxy for a "
                        "different port"
                    )
                endpoints.append(Endpoint(names[arn], dns_name, int(alias["port"]), service.name))
    return ServiceConnect(namespaces, tuple(endpoints))


def check_callers(services: Mapping[str, EcsService], connect: ServiceConnect) -> None:
    """Every `http://<name>:<port>` a task definition's environment points at, where the name is
    a bare (dotless) host, must be a Service Connect endpoint in the caller's namespace: the
    caller's requests would fail to resolve otherwise."""
    for service in services.values():
        namespace = connect.namespaces.get(service.name)
        offered = {(e.dns_name, e.port) for e in connect.endpoints if e.namespace == namespace}
        for container in service.task_definition["containerDefinitions"]:
            for variable in container.get("environment", []):
                url = urlsplit(variable["value"])
                if url.scheme not in {"http", "https"} or not url.hostname:
                    continue
                if "." in url.hostname or url.hostname == "localhost":
                    continue
                port = url.port or (443 if url.scheme == "https" else 80)
                if (url.hostname, port) not in offered:
                    where = f"namespace {namespace}" if namespace else "no namespace (off)"
                    choices = ", ".join(f"{n}:{p}" for n, p in sorted(offered)) or "none"
                    raise RunFailed(
                        f"{service.name}: {container['name']} calls {variable['name']}="
                        f"{variable['value']}, but Service Connect in {where} offers no "
                        f"{url.hostname}:{port} (offered: {choices}); its requests would fail "
                        "to resolve"
                    )
