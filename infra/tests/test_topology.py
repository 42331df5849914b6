"""The synthesized Terraform has the topology the design promises, for every environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netflux_catalogue import routes
from netflux_infra.config import ENVIRONMENTS
from netflux_infra.ecs_exec import exec_endpoints
from netflux_infra.tracing import tracing_endpoints
from netflux_infra_testing.synthesized import Stack

ANYWHERE = "0.0.0.0/0"
PRIMARY = "database_postgres"  # the primary database (prod also has a read replica)


def rules(stack: Stack, direction: str) -> list[dict[str, Any]]:
    return list(stack.resources(f"aws_vpc_security_group_{direction}_rule").values())


def ingress_of(stack: Stack, group: str) -> list[dict[str, Any]]:
    sg = stack.ref("aws_security_group", f"security_{group}_")
    return [r for r in rules(stack, "ingress") if r["security_group_id"] == sg]


def egress_of(stack: Stack, group: str) -> set[tuple[int, str]]:
    """(port, destination) pairs a group may send to; a destination is a group ref or a CIDR."""
    sg = stack.ref("aws_security_group", f"security_{group}_")
    return {
        (r["from_port"], r.get("referenced_security_group_id") or r.get("cidr_ipv4", ""))
        for r in rules(stack, "egress")
        if r["security_group_id"] == sg
    }


def test_every_environment_is_synthesized(stacks: dict[str, Stack]) -> None:
    assert set(stacks) == {*ENVIRONMENTS, "pipeline", "access"}
    assert set(ENVIRONMENTS) == {"staging", "prod"}


def test_network_has_two_public_and_four_private_subnets(stack: Stack) -> None:
    subnets = list(stack.resources("aws_subnet").values())
    tiers = sorted(s["tags"]["Tier"] for s in subnets)

    assert tiers == ["app", "app", "db", "db", "public", "public"]
    assert len({s["availability_zone"] for s in subnets}) == 2
    assert not any(s["map_public_ip_on_launch"] for s in subnets)
    assert "aws_nat_gateway" not in stack.json["resource"]  # the seed: "do it later"
    assert stack.only("aws_flow_log")["traffic_type"] == "ALL"


def test_private_route_tables_have_no_internet_route(stack: Stack) -> None:
    igw = stack.ref("aws_internet_gateway", "igw")
    routes = list(stack.resources("aws_route").values())
    public_rt = stack.ref("aws_route_table", "public-rt")

    assert [r["route_table_id"] for r in routes if r.get("gateway_id") == igw] == [public_rt]
    assert all(r["route_table_id"] == public_rt for r in routes)


def test_tasks_reach_aws_apis_through_endpoints_without_nat(stack: Stack) -> None:
    services = {
        e["service_name"].split(".", 3)[-1] for e in stack.resources("aws_vpc_endpoint").values()
    }

    env = ENVIRONMENTS[stack.name.removeprefix("netflux-")]
    optional = {*exec_endpoints(env), *tracing_endpoints(env)}  # tests/test_operations.py
    assert services == {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "s3"} | optional


def test_security_groups_chain_alb_app_db(stack: Stack) -> None:
    alb, app, db = (stack.ref("aws_security_group", f"security_{g}_") for g in ("alb", "app", "db"))

    alb_in = ingress_of(stack, "alb")
    assert [(r["from_port"], r.get("prefix_list_id")) for r in alb_in] == [(80, "pl-3b927c52")]
    assert {
        (r["from_port"], r["referenced_security_group_id"]) for r in ingress_of(stack, "app")
    } == {
        (8080, alb),
        (8080, app),  # self-reference: service to service
    }
    assert [
        (r["from_port"], r["referenced_security_group_id"]) for r in ingress_of(stack, "db")
    ] == [(5432, app)]
    assert db != app
    # Security groups are stateful per direction: each hop needs the sender's egress too.
    assert egress_of(stack, "alb") == {(8080, app)}
    assert {(5432, db), (8080, app)} <= egress_of(stack, "app")
    assert egress_of(stack, "db") == set()


def test_no_rule_admits_the_internet_and_every_rule_is_described(stack: Stack) -> None:
    for rule in rules(stack, "ingress"):
        assert rule.get("cidr_ipv4") != ANYWHERE, rule
        assert rule["description"]
    for rule in rules(stack, "egress"):
        assert rule["description"]
    default_sg = stack.only("aws_default_security_group")
    assert "ingress" not in default_sg
    assert "egress" not in default_sg


def test_public_subnets_acl_admits_web_traffic_and_replies_only(stack: Stack) -> None:
    acl_rules = list(stack.resources("aws_network_acl_rule").values())
    allows = [r for r in acl_rules if r["rule_action"] == "allow" and not r["egress"]]

    assert {(a["from_port"], a["to_port"]) for a in allows} == {(80, 80), (443, 443), (1024, 65535)}
    # No client-address denies: behind CloudFront the ACL never sees a client (WAF blocks them).
    assert not [r for r in acl_rules if r["rule_action"] == "deny"]


def test_alb_routes_api_paths_to_each_service(stack: Stack) -> None:
    by_target = {
        r["action"][0]["target_group_arn"]: r["condition"][0]["path_pattern"]["values"]
        for r in stack.resources("aws_lb_listener_rule").values()
        if r["action"][0]["type"] == "forward"
    }
    assert by_target == {
        stack.ref("aws_lb_target_group", "tg-movie", "arn"): ["/api/movies*"],
        stack.ref("aws_lb_target_group", "tg-customer", "arn"): ["/api/customers/*"],
    }
    assert [r.path_patterns for r in routes()] == [("/api/movies*",), ("/api/customers/*",)]


def test_target_groups_use_the_seed_health_check(stack: Stack) -> None:
    for tg in stack.resources("aws_lb_target_group").values():
        assert tg["target_type"] == "ip"
        assert tg["port"] == 8080
        hc = tg["health_check"]
        assert (hc["interval"], hc["healthy_threshold"], hc["unhealthy_threshold"]) == (30, 3, 3)
        assert hc["path"] == "/actuator/health"
        assert int(tg["deregistration_delay"]) <= 30


def test_site_bucket_is_private_and_read_only_by_this_distribution(stack: Stack) -> None:
    for block in stack.resources("aws_s3_bucket_public_access_block").values():
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls")
        assert all(block[k] is True for k in (*flags, "restrict_public_buckets"))
    site = stack.ref("aws_s3_bucket", "site_bucket")
    assert stack.named("aws_s3_bucket_ownership_controls", "site")["rule"]["object_ownership"] == (
        "BucketOwnerEnforced"
    )
    assert (
        stack.named("aws_s3_bucket_versioning", "site")["versioning_configuration"]["status"]
        == "Enabled"
    )
    assert stack.named("aws_s3_bucket_logging", "site")["bucket"] == site

    policy = json.loads(stack.named("aws_s3_bucket_policy", "site-policy")["policy"])
    read = policy["Statement"][0]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Condition"]["StringEquals"]["AWS:SourceArn"] == stack.ref(
        "aws_cloudfront_distribution", "cdn", "arn"
    )


def test_cloudfront_serves_the_site_and_forwards_other_api_calls_uncached(stack: Stack) -> None:
    cdn = stack.only("aws_cloudfront_distribution")
    origins = {o["origin_id"]: o for o in cdn["origin"]}

    assert cdn["default_root_object"] == "index.html"
    assert origins["site"]["origin_access_control_id"] == stack.ref(
        "aws_cloudfront_origin_access_control", "oac"
    )
    assert origins["api"]["domain_name"] == stack.ref("aws_lb", "edge_alb", "dns_name")
    assert cdn["default_cache_behavior"]["target_origin_id"] == "site"
    assert cdn["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"
    api = cdn["ordered_cache_behavior"][-1]  # after the revalidated movie reads (below)
    assert api["path_pattern"] == "/api/*"
    assert api["target_origin_id"] == "api"
    assert api["cache_policy_id"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert api["origin_request_policy_id"] == "216adef6-5c7f-47e4-b989-5492eafa07d3"  # AllViewer
    assert "PATCH" in api["allowed_methods"]


def test_database_is_private_encrypted_and_backed_up(stack: Stack) -> None:
    db = stack.named("aws_db_instance", PRIMARY)
    env = ENVIRONMENTS[stack.name.removeprefix("netflux-")]

    assert db["engine"] == "postgres"
    assert db["engine_version"].startswith("16")
    assert db["publicly_accessible"] is False
    assert db["storage_encrypted"] is True
    assert db["manage_master_user_password"] is True
    assert "password" not in db
    assert db["backup_retention_period"] >= 7
    assert db["multi_az"] is env.db_multi_az
    assert db["deletion_protection"] is env.retention.db_deletion_protection
    subnet_group = stack.only("aws_db_subnet_group")
    assert subnet_group["subnet_ids"] == [
        stack.ref("aws_subnet", "network_db-0"),
        stack.ref("aws_subnet", "network_db-1"),
    ]


def test_prod_and_staging_differ_as_configured(stacks: dict[str, Stack]) -> None:
    prod, staging = stacks["prod"], stacks["staging"]

    def desired(stack: Stack) -> dict[str, int]:
        return {s["name"]: s["desired_count"] for s in stack.resources("aws_ecs_service").values()}

    def capacity(stack: Stack) -> set[tuple[tuple[str, int, int], ...]]:
        return {
            tuple(
                (c["capacity_provider"], c.get("base", 0), c["weight"])
                for c in s["capacity_provider_strategy"]
            )
            for s in stack.resources("aws_ecs_service").values()
        }

    assert desired(prod) == {"movie-service": 2, "customer-service": 4}
    assert desired(staging) == {"movie-service": 1, "customer-service": 1}
    # Spot in staging, but one on-demand task always places (Spot capacity may be gone).
    assert capacity(staging) == {(("FARGATE", 1, 0), ("FARGATE_SPOT", 0, 1))}
    assert capacity(prod) == {(("FARGATE", 0, 1),)}
    assert prod.named("aws_db_instance", PRIMARY)["multi_az"] is True
    assert prod.named("aws_db_instance", PRIMARY)["deletion_protection"] is True
    assert staging.named("aws_db_instance", PRIMARY)["multi_az"] is False


def test_ecr_repositories_are_immutable_scanned_and_tidied(stack: Stack) -> None:
    repos = stack.resources("aws_ecr_repository")

    assert len(repos) == 2
    for repo in repos.values():
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"]["scan_on_push"] is True
    assert len(stack.resources("aws_ecr_lifecycle_policy")) == 2


def test_services_run_privately_with_rollback(stack: Stack) -> None:
    for service in stack.resources("aws_ecs_service").values():
        net = service["network_configuration"]
        assert net["assign_public_ip"] is False
        assert net["subnets"] == [
            stack.ref("aws_subnet", "network_app-0"),
            stack.ref("aws_subnet", "network_app-1"),
        ]
        assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
        assert service["service_connect_configuration"]["enabled"] is True
    cluster = stack.only("aws_ecs_cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]
    assert cluster["service_connect_defaults"]["namespace"] == stack.ref(
        "aws_service_discovery_http_namespace", "namespace", "arn"
    )


def test_movie_service_is_offered_through_service_connect(stack: Stack) -> None:
    movie = stack.named("aws_ecs_service", "service-movie")
    [offer] = movie["service_connect_configuration"]["service"]

    assert offer["client_alias"] == {"dns_name": "movie-service", "port": 8080}
    customer = stack.named("aws_ecs_service", "service-customer")
    assert "service" not in customer["service_connect_configuration"]  # a client only


def test_each_service_scales_on_cpu_and_requests(stack: Stack) -> None:
    env = ENVIRONMENTS[stack.name.removeprefix("netflux-")]
    targets = stack.resources("aws_appautoscaling_target")

    for target in targets.values():
        assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    metrics = sorted(
        p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
            "predefined_metric_type"
        ]
        for p in stack.resources("aws_appautoscaling_policy").values()
    )
    assert metrics == ["ALBRequestCountPerTarget"] * 2 + ["ECSServiceAverageCPUUtilization"] * 2
    limits = sorted((t["min_capacity"], t["max_capacity"]) for t in targets.values())
    assert limits == sorted((s.min_count, s.max_count) for s in env.sizing.values())


def test_outputs_name_what_a_user_needs(stack: Stack) -> None:
    assert {
        "cloudfront_domain", "alb_dns_name", "ecr_movie_url", "ecr_customer_url", "cluster_name",
        "movie_service_name", "customer_service_name", "site_bucket",
    } <= set(stack.json["output"])  # fmt: skip


def test_state_backend_is_local_and_relative_by_default(any_stack: Stack) -> None:
    backend = any_stack.json["terraform"]["backend"]

    assert backend == {"local": {"path": f"terraform.{any_stack.name}.tfstate"}}
    assert str(any_stack.folder.parent.parent) not in json.dumps(any_stack.json)


def test_deployment_publishes_every_web_file_to_the_site_bucket(stack: Stack) -> None:
    web = Path(__file__).resolve().parents[2] / "web"
    files = {p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file()}
    objects = stack.resources("aws_s3_object").values()

    assert {o["key"] for o in objects} == files
    assert "index.html" in files
    site = stack.ref("aws_s3_bucket", "site_bucket")
    for obj in objects:
        assert obj["bucket"] == site
        assert obj["cache_control"] == "no-cache"
        assert (stack.folder / obj["source"]).is_file()
    types = {o["key"]: o["content_type"] for o in objects}
    assert types["index.html"].startswith("text/html")
    assert types["app.js"].startswith("text/javascript")


def test_log_bucket_admits_s3_access_logs_of_the_site_and_alb_logs(stack: Stack) -> None:
    policy = json.loads(stack.named("aws_s3_bucket_policy", "logs-policy")["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    logs = stack.ref("aws_s3_bucket", "logs_bucket", "arn")
    site_logging = stack.named("aws_s3_bucket_logging", "site")

    [s3_logs] = [s for sid, s in by_sid.items() if sid.startswith("S3AccessLogs")]
    assert s3_logs["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert s3_logs["Resource"] == f"{logs}/{site_logging['target_prefix']}*"
    assert s3_logs["Condition"]["ArnLike"]["aws:SourceArn"] == stack.ref(
        "aws_s3_bucket", "site_bucket", "arn"
    )
    assert by_sid["AlbAccessLogs"]["Resource"] == f"{logs}/alb/*"
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"


def test_movie_reads_are_kept_by_cloudfront_and_revalidated_every_time(stack: Stack) -> None:
    behaviours = stack.only("aws_cloudfront_distribution")["ordered_cache_behavior"]

    assert [b["path_pattern"] for b in behaviours] == ["/api/movies*", "/api/*"]
    # Managed UseOriginCacheControlHeaders-QueryStrings: origin TTLs (0), query strings keyed.
    assert behaviours[0]["cache_policy_id"] == "4cc15a8a-d715-48a4-82b8-cc0b614638fe"
    assert "PATCH" in behaviours[0]["allowed_methods"]  # the service answers 405 itself
    assert behaviours[0]["cached_methods"] == ["GET", "HEAD"]
    assert behaviours[1]["cache_policy_id"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # disabled
