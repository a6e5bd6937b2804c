#include "report_writer.hpp"

#include <stdexcept>

#include "csv_writer.hpp"
#include "json_writer.hpp"
#include "pdf_writer.hpp"

namespace sterifleet::report {

std::unique_ptr<ReportWriter> make_writer(Format format, SealedOutput& out, std::size_t max_pdf_rows) {
  switch (format) {
    case Format::csv:
      return make_csv_writer(out);
    case Format::json:
      return make_json_writer(out);
    case Format::pdf:
      return make_pdf_writer(out, max_pdf_rows);
  }
  throw std::invalid_argument("unknown report format");
}

Made finish_report(store::Store& store, ReportWriter& writer, SealedOutput& sealed, const Summary& summary,
                   const std::function<checkpoint::Checkpoint(const store::AuditHead&)>& sign) {
  auto head = store.audit_head();
  std::optional<checkpoint::Checkpoint> signed_head;
  if (sign) {
    signed_head = sign(head);
    writer.signed_head(*signed_head);
  }
  writer.end(summary, head);
  const auto body = sealed.close_body();
  Made made;
  made.seal = {body.sha256, body.bytes, std::move(head), std::move(signed_head)};
  writer.seal(made.seal);
  made.bytes = sealed.bytes();
  return made;
}

nlohmann::json sealed_file_json(const Made& made, Format format) {
  const auto& seal = made.seal;
  return {{"format", to_string(format)},
          {"sha256", seal.sha256},
          {"body_bytes", seal.body_bytes},
          {"bytes", made.bytes},
          {"audit_head", {{"seq", seal.head.seq}, {"hash", seal.head.hash}}},
          {"checkpoint", seal.checkpoint ? checkpoint::to_json(*seal.checkpoint) : nlohmann::json(nullptr)}};
}

}  // namespace sterifleet::report
