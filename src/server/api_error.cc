#include "server/api_error.h"

namespace cacheopt {

ApiError InvalidRequest(std::string param, std::string message) {
  ApiError e;
  e.param = std::move(param);
  e.message = std::move(message);
  return e;
}

ApiError ModelNotFound(std::string_view model) {
  // OpenAI's own shape for this case: 404, invalid_request_error, code
  // model_not_found, param "model".
  ApiError e;
  e.http_status = 404;
  e.param = "model";
  e.code = "model_not_found";
  e.message = "The model '" + std::string(model) + "' does not exist";
  return e;
}

ApiError PayloadTooLarge(size_t bytes, size_t limit) {
  ApiError e;
  e.http_status = 413;
  e.code = "request_too_large";
  e.message = "The request body is " + std::to_string(bytes) + " bytes, over the limit of " +
              std::to_string(limit) + " bytes (serve --max-body)";
  return e;
}

ApiError Unavailable(std::string message) {
  ApiError e;
  e.http_status = 503;
  e.type = "server_error";
  e.code = "service_unavailable";
  e.message = std::move(message);
  return e;
}

}  // namespace cacheopt
