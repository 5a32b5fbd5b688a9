#!/usr/bin/python3
"""The layering of docs/ARCHITECTURE.md, checked on every #include line of the tree.

CMake keeps what it can see (a domain target links only csops_base, and cmake/domain_poison/
makes <grpcpp/...>, <sqlite3.h> and friends fail to compile there). It cannot see headers
included by headers, nor includes that the system include path happens to satisfy. This test
reads every C++ file under common/, services/ and tools/ and fails on any include across a
forbidden boundary:

  * a service's domain/ includes only the standard library, absl, common/base/ and its own
    domain/ (its tests may also read files through common/config/);
  * store/ (the interface) includes only common/base/, its domain and store/;
    store/<impl>/ adds common/<impl>/ (sqlite, postgres) and nothing of api/ or the engine;
  * api/ never includes a store implementation;
  * the engine files at a service's root never include api/ or a store implementation
    (the *_module and *_config files wire them, tests build them);
  * a service never includes another service's files (protos of csops/<svc>/v1/ are public);
    csopsd, the composition root, includes only modules, configs and web routes;
  * common/ never includes a service, and each common library only the libraries below it.

Usage: include_boundaries.py <source dir>      check the tree, print every violation
       include_boundaries.py --self-test       the rules reject the includes they must
"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# What each common library may include of common/ (besides itself).
COMMON_DEPS = {
    "base": set(),
    "config": {"base"},
    "sqlite": {"base"},
    "postgres": {"base"},
    "storage": {"base", "sqlite", "postgres"},
    "grpc": {"base"},
    "http": {"base"},
    "auth": {"base", "config", "grpc", "http"},
    "outbox": {"base", "auth", "grpc"},
}

# System headers a domain file may not include (prefixes of the path inside <...>).
DOMAIN_FORBIDDEN_SYSTEM = (
    "grpcpp/", "grpc/", "google/protobuf/", "sqlite3.h", "libpq-fe.h", "libpq/", "curl/",
    "prometheus/", "openssl/", "boost/", "nlohmann/", "fstream", "filesystem", "CLI/",
)
# System headers common/base's headers may not expose (its .cc files may use them privately).
BASE_HEADER_FORBIDDEN_SYSTEM = DOMAIN_FORBIDDEN_SYSTEM


def layer_of(path):
    """(area, service, layer) of a repository-relative path."""
    parts = path.split("/")
    if parts[0] == "common" and len(parts) >= 3:
        return ("common", None, parts[1])
    if parts[0] == "services" and len(parts) >= 3:
        svc = parts[1]
        if svc in ("csopsd", "web"):
            return ("services", svc, svc)
        if parts[2] == "domain":
            return ("services", svc, "domain")
        if parts[2] == "store":
            return ("services", svc, "store" if len(parts) == 4 else "store/" + parts[3])
        if parts[2] in ("api", "channels"):
            return ("services", svc, parts[2])
        return ("services", svc, "root")
    return (parts[0], None, None)


def is_test(path):
    base = os.path.basename(path)
    return (base.endswith("_test.cc") or base.endswith("_test_util.h")
            or base.endswith("_test_fixture.h") or base == "testutil.h")


def is_wiring(path):
    base = os.path.basename(path)
    return re.search(r"_(module|config|metrics)\.(h|cc)$", base) is not None


def check_include(path, kind, target):
    """The reason `path` may not include `target` (kind '<' or '"'), or None."""
    area, svc, layer = layer_of(path)
    test = is_test(path)
    project = kind == '"' and (target.startswith("common/") or target.startswith("services/"))
    t_area, t_svc, t_layer = layer_of(target) if project else (None, None, None)

    if area == "common":
        if t_area == "services":
            return "common/ must not include a service"
        if t_area == "common" and t_layer != layer and not test:
            if t_layer not in COMMON_DEPS.get(layer, set()):
                return "common/%s may use only %s of common/" % (
                    layer, ", ".join(sorted(COMMON_DEPS.get(layer, set())) or ["nothing"]))
        if layer == "base" and path.endswith(".h") and not test and kind == "<":
            if target.startswith(BASE_HEADER_FORBIDDEN_SYSTEM):
                return "common/base headers expose only the standard library and absl"
        return None

    if area != "services":
        return None  # tools/ and tests/ drive the product from outside or seed it

    if t_area == "services" and t_svc != svc:
        if svc == "csopsd" and (t_svc == "web" or is_wiring(target)):
            return None
        return "a service must not include another service's files (use its gRPC API)"

    if layer == "domain":
        if kind == "<":
            if target.startswith(DOMAIN_FORBIDDEN_SYSTEM) or target.endswith(".pb.h"):
                return "domain code is pure: no gRPC, protobuf, SQL, HTTP, files or crypto libraries"
            return None
        if target.endswith(".pb.h"):
            return "domain code must not include generated protobuf"
        if t_area == "common":
            if t_layer == "base" or (test and t_layer == "config"):
                return None
            return "domain code may use only common/base"
        if t_area == "services" and t_layer != "domain":
            return "domain code must not include the %s layer" % t_layer
        return None

    if layer == "store":
        if target.endswith(".pb.h"):
            return "the store interface must not include generated protobuf"
        if t_area == "common" and t_layer != "base":
            return "the store interface may use only common/base"
        if t_area == "services" and t_layer not in ("domain", "store"):
            return "the store interface may use only the domain and store/"
        return None

    if layer.startswith("store/"):
        impl = layer.split("/", 1)[1]
        if target.endswith(".pb.h") and not test:
            return "a store implementation must not include generated protobuf"
        if t_area == "common" and t_layer not in ("base", impl) and not test:
            return "store/%s may use only common/base and common/%s" % (impl, impl)
        if t_area == "services" and t_layer not in ("domain", "store", layer) and not test:
            return "store/%s may use only the domain, store/ and itself" % impl
        return None

    if layer == "channels":
        if t_area == "services" and t_layer not in ("domain", "channels") and not test:
            return "channels may use only the domain"
        return None

    if layer == "api":
        if t_area == "services" and t_layer.startswith("store/") and not test:
            return "the api layer must not include a store implementation"
        return None

    if layer == "root" and not test and not is_wiring(path):
        if t_area == "services" and (t_layer == "api" or t_layer.startswith("store/")):
            return "an engine must not include the api layer or a store implementation"
    return None


def sources(root):
    for top in ("common", "services", "tools"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith((".h", ".cc")):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root), full


def check_tree(root):
    violations = []
    for rel, full in sorted(sources(root)):
        with open(full, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                reason = check_include(rel, m.group(1), m.group(2))
                if reason:
                    violations.append("%s:%d: #include %s%s%s: %s" % (
                        rel, n, m.group(1), m.group(2), ">" if m.group(1) == "<" else '"',
                        reason))
    return violations


# (file, kind, included, allowed?)
SELF_TEST = [
    ("services/queue/domain/branch.h", "<", "grpcpp/grpcpp.h", False),
    ("services/queue/domain/branch.cc", '"', "csops/config/v1/config.pb.h", False),
    ("services/case/domain/sla.cc", "<", "sqlite3.h", False),
    ("services/notify/domain/notify_model.cc", "<", "fstream", False),
    ("services/notify/domain/delivery_policy.h", '"', "services/notify/store/notify_store.h",
     False),
    ("services/notify/domain/delivery_policy.h", '"', "services/notify/channels/sender.h", False),
    ("services/case/domain/case_model.h", '"', "common/config/config.h", False),
    ("services/case/domain/case_model.h", '"', "common/base/status.h", True),
    ("services/case/domain/sla_test.cc", '"', "common/config/calendar_file.h", True),
    ("services/queue/domain/types.h", "<", "absl/time/time.h", True),
    ("services/queue/store/queue_store.h", '"', "common/sqlite/database.h", False),
    ("services/queue/store/sqlite/sqlite_queue_store.cc", '"', "common/sqlite/database.h", True),
    ("services/queue/store/sqlite/sqlite_queue_store.cc", '"', "services/queue/api/board_hub.h",
     False),
    ("services/queue/store/postgres/pg_queue_store.cc", '"', "common/sqlite/database.h", False),
    ("services/queue/api/queue_service.cc", '"',
     "services/queue/store/sqlite/sqlite_queue_store.h", False),
    ("services/queue/queue_engine.cc", '"', "services/queue/api/queue_convert.h", False),
    ("services/queue/queue_module.cc", '"', "services/queue/api/queue_service.h", True),
    ("services/case/case_engine.cc", '"', "services/notify/notify_engine.h", False),
    ("services/case/api/case_outbox_source.cc", '"', "csops/notify/v1/notify_service.pb.h", True),
    ("services/csopsd/server.cc", '"', "services/case/case_module.h", True),
    ("services/csopsd/server.cc", '"', "services/case/case_engine.h", False),
    ("services/web/board_routes.cc", '"', "services/queue/queue_engine.h", False),
    ("common/auth/policy.cc", '"', "services/queue/queue_module.h", False),
    ("common/base/text.cc", '"', "common/grpc/grpc_status.h", False),
    ("common/base/digest.h", "<", "openssl/evp.h", False),
    ("common/base/digest.cc", "<", "openssl/evp.h", True),
    ("common/auth/grpc_access.cc", '"', "common/grpc/grpc_status.h", True),
    ("common/sqlite/database.cc", '"', "common/http/http_server.h", False),
]


def self_test():
    failures = []
    for path, kind, target, allowed in SELF_TEST:
        reason = check_include(path, kind, target)
        if (reason is None) != allowed:
            failures.append("%s including %s: expected %s, got %s" % (
                path, target, "allowed" if allowed else "refused", reason or "allowed"))
    return failures


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        failures = self_test()
        for f in failures:
            print("self-test:", f)
        print("include rules: %d cases, %d wrong" % (len(SELF_TEST), len(failures)))
        return 1 if failures else 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    violations = check_tree(argv[1])
    for v in violations:
        print(v)
    print("include boundaries: %d violation(s)" % len(violations))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
