// feeds/feed_formats.cc — the format registry: every format's name and description in one
// table, so --format, help texts and reports cannot disagree on what a name means.
#include <array>

#include "feeds/ioc.h"

namespace iocgate {
namespace {

constexpr std::array<FeedFormatInfo, 21> kFormats{{
    {FeedFormat::kAuto, "auto", "detect the format from the content (the default)"},
    {FeedFormat::kPlain, "plain", "one IoC a line (address, CIDR, domain, URL), '#' comments"},
    {FeedFormat::kMispCsv, "misp-csv", "MISP attribute CSV export (uuid,event_id,category,type,value,...)"},
    {FeedFormat::kStix21, "stix2.1", "STIX 2.1 bundle: indicators with equality patterns"},
    {FeedFormat::kMispJson, "misp-json", "MISP event JSON ({\"Event\":...} or {\"response\":[...]})"},
    {FeedFormat::kFireholSet, "firehol", "FireHOL .netset/.ipset list"},
    {FeedFormat::kSpamhausDrop, "spamhaus-drop", "Spamhaus DROP/EDROP text (CIDR ; SBLnnn)"},
    {FeedFormat::kSpamhausJson, "spamhaus-json", "Spamhaus DROP JSON lines ({\"cidr\":...,\"sblid\":...})"},
    {FeedFormat::kFeodoCsv, "feodo-csv", "abuse.ch Feodo Tracker CSV"},
    {FeedFormat::kFeodoPlain, "feodo-plain", "abuse.ch Feodo Tracker plain address list"},
    {FeedFormat::kThreatfoxCsv, "threatfox-csv", "abuse.ch ThreatFox CSV export"},
    {FeedFormat::kThreatfoxJson, "threatfox-json", "abuse.ch ThreatFox JSON export or API response"},
    {FeedFormat::kUrlhausCsv, "urlhaus-csv", "abuse.ch URLhaus CSV dump"},
    {FeedFormat::kAdblock, "adblock", "Adblock-syntax host list (||host^)"},
    {FeedFormat::kRpz, "rpz", "DNS response-policy zone (name CNAME .)"},
    {FeedFormat::kText, "text", "IoCs in an advisory's prose and tables (AsciiDoc, Markdown, plain text)"},
    {FeedFormat::kTable, "table", "delimited IoC table (CSV, TSV or ';') with a value/indicator/IoC column, "
                                  "English or Vietnamese headers"},
    {FeedFormat::kPdf, "pdf", "PDF appendix: IoC tables by their header, other text as free text"},
    {FeedFormat::kXlsx, "xlsx", "Excel workbook: every sheet as an IoC table"},
    {FeedFormat::kDocx, "docx", "Word document: IoC tables, paragraphs as free text"},
    {FeedFormat::kAuto, nullptr, nullptr},
}};

}  // namespace

const FeedFormatInfo* feed_formats() { return kFormats.data(); }

const char* feed_format_name(FeedFormat f) {
  for (const FeedFormatInfo* i = feed_formats(); i->name; ++i)
    if (i->format == f) return i->name;
  return "unknown";
}

std::optional<FeedFormat> feed_format_from_name(std::string_view name) {
  for (const FeedFormatInfo* i = feed_formats(); i->name; ++i)
    if (name == i->name) return i->format;
  // Spellings operators use for STIX; reports print the canonical "stix2.1".
  if (name == "stix" || name == "stix21") return FeedFormat::kStix21;
  return std::nullopt;
}

std::string feed_format_names() {
  std::string out;
  for (const FeedFormatInfo* i = feed_formats(); i->name; ++i) out += std::string(out.empty() ? "" : ", ") + i->name;
  return out;
}

}  // namespace iocgate
