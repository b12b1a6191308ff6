// feeds/ooxml_package.cc — see ooxml_package.h.
#include "feeds/ooxml_package.h"

#include <fmt/format.h>

#include "feeds/xml_text.h"

namespace iocgate {

std::unique_ptr<OoxmlPackage> OoxmlPackage::open(std::string_view bytes, const char* what,
                                                 const std::string& main_part, std::string& error) {
  auto zip = ZipArchive::open(bytes, ZipLimits{}, error);
  if (!zip) {
    error = fmt::format("not {}: {}", what, error);
    return nullptr;
  }
  if (!zip->has(main_part)) {
    error = fmt::format("not {}: the archive has no {}", what, main_part);
    return nullptr;
  }
  return std::unique_ptr<OoxmlPackage>(new OoxmlPackage(std::move(zip)));
}

bool OoxmlPackage::read_xml(const std::string& part, pugi::xml_document& doc, std::string& error) {
  std::string xml;
  return zip_->read(part, xml, error) && parse_xml(xml, doc, part, error);
}

}  // namespace iocgate
