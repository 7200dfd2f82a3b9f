// JSON views for the admin port's /config_dump: the effective config and a
// registry snapshot, each a plain nlohmann::json built off the data path.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "discovery/snapshot.h"
#include "discovery/xds/xds_source.h"

namespace meshgate::admin {

// Every key of the config, named as in the YAML file (durations as strings
// such as "10s", so a dump reads like a config file).
nlohmann::json dump_config(const config::Config& config);
// version, created (RFC 3339 UTC), services (with ports, subsets, endpoints)
// and aliases.
nlohmann::json dump_snapshot(const discovery::Snapshot& snapshot);
// The xDS stream: connected, complete, the last failure, per type (cds, eds,
// lds) the version and nonce last seen with pushes, NACKs and the last NACK's
// reason, and the chains istiod sent that meshgate does not serve.
nlohmann::json dump_xds(const discovery::xds::XdsSourceStats& stats);
// The discovery.xds keys (admin_json_xds.cc, as dump_xds).
nlohmann::json dump_xds_config(const config::XdsSource& xds);

}  // namespace meshgate::admin
