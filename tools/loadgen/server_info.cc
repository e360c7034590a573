#include "loadgen/server_info.h"

#include <nlohmann/json.hpp>

#include "loadgen/stream_chunk.h"

namespace cacheopt::bench {

Result<std::vector<ServedModelInfo>> ParseModelList(const std::string& body) {
  using json = nlohmann::json;
  const json j = json::parse(body, nullptr, false);
  const std::string shape = "expected {\"data\": [{\"id\": ...}, ...]}, got '" + Excerpt(body) + "'";
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("not JSON: " + shape);
  auto data = j.find("data");
  if (data == j.end() || !data->is_array()) return Status::InvalidArgument("no 'data' array: " + shape);
  std::vector<ServedModelInfo> out;
  for (const json& m : *data) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string())
      return Status::InvalidArgument("a model without a string 'id': " + shape);
    ServedModelInfo info;
    info.id = m["id"].get<std::string>();
    if (auto len = m.find("max_model_len"); len != m.end() && len->is_number_integer()) {
      const int64_t v = len->get<int64_t>();
      if (v > 0 && v <= INT32_MAX) info.max_model_len = static_cast<int32_t>(v);
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<ServedModelInfo>> FetchModels(const HttpTarget& target) {
  const std::string where = "GET " + target.url.Url("/v1/models");
  auto client = MakeClient(target);
  httplib::Result res = client->Get(target.url.Path("/v1/models"), CommonHeaders(target));
  if (!res) {
    return Status::IoError("cannot reach the server at " + target.url.Origin() + ": " + where + ": " +
                           DescribeHttpError(res.error()));
  }
  if (res->status != 200) return Status::InvalidArgument(where + ": " + DescribeHttpStatus(res->status, res->body));
  auto models = ParseModelList(res->body);
  if (!models.ok()) return Status::InvalidArgument(where + ": " + models.status().message());
  return models;
}

}  // namespace cacheopt::bench
