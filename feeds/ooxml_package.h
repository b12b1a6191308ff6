// feeds/ooxml_package.h — an Office Open XML package (XLSX, DOCX): a bounded ZIP whose
// parts are XML. Opening checks the main part, so a wrong file is named as what it is not.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "feeds/zip_archive.h"

namespace iocgate {

class OoxmlPackage {
 public:
  // nullptr with `error` ("not an XLSX workbook: the archive has no xl/workbook.xml") when
  // `bytes` is not a ZIP within ZipLimits or lacks `main_part`. `bytes` must outlive it.
  static std::unique_ptr<OoxmlPackage> open(std::string_view bytes, const char* what, const std::string& main_part,
                                            std::string& error);

  bool has(const std::string& part) const { return zip_->has(part); }

  // Inflates and parses `part`; false with `error` ("PART: not well-formed XML ...").
  bool read_xml(const std::string& part, pugi::xml_document& doc, std::string& error);

 private:
  explicit OoxmlPackage(std::unique_ptr<ZipArchive> zip) : zip_(std::move(zip)) {}
  std::unique_ptr<ZipArchive> zip_;
};

}  // namespace iocgate
