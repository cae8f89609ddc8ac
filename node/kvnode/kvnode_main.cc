// kvnode: one node of the Raft-replicated sharded KV store, as a server
// process. See docs/operating.md. Exit codes: 0 clean shutdown, 2 bad
// configuration, 1 failed startup or storage failure.
#include <cstdio>
#include <string>
#include <vector>

#include "node/backend/backend_log.h"
#include "node/kvnode/kvnode_config.h"
#include "node/kvnode/kvnode_server.h"

int main(int argc, char** argv) {
  using kv::backend::Log;
  using kv::backend::LogLevel;
  std::vector<std::string> args(argv, argv + argc);
  if (argc == 2 && (args[1] == "--help" || args[1] == "-h")) {
    std::fputs(kv::kvnode::KvnodeUsage().c_str(), stdout);
    return 0;
  }
  absl::StatusOr<kv::kvnode::KvnodeConfig> config = kv::kvnode::ParseKvnodeFlags(args);
  if (!config.ok()) {
    Log(LogLevel::kError, "kvnode", std::string(config.status().message()));
    std::fputs(kv::kvnode::KvnodeUsage().c_str(), stderr);
    return 2;
  }
  kv::kvnode::KvnodeServer::BlockShutdownSignals();
  absl::StatusOr<std::unique_ptr<kv::kvnode::KvnodeServer>> server =
      kv::kvnode::KvnodeServer::Start(*config);
  if (!server.ok()) {
    Log(LogLevel::kError, "kvnode", absl::StrCat("cannot start: ", server.status().ToString()));
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  absl::Status status = (*server)->Run();
  server->reset();
  if (!status.ok()) {
    Log(LogLevel::kError, "kvnode", std::string(status.message()));
    return 1;
  }
  return 0;
}
