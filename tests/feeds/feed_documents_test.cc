// tests/feeds/feed_documents_test.cc — advisory appendices as PDF, XLSX and DOCX (made by
// tests/fixtures/feeds/src/make_documents.py): the IoCs a reader would list, with their
// page, sheet or table row; and the bounds that refuse a zip bomb or a damaged file.
#include <gtest/gtest.h>

#include "feeds/zip_archive.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedPdf, VietnameseAppendixTable) {
  auto r = parse_fixture("appendix_vi.pdf");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kPdf);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 185.174.100.56/32", "url-host update-office365.com", "domain tinmoi24h.net",
                                 "ipv4 103.75.190.11/32"}));
  // Wrapped cells are joined back; the page names where each came from.
  EXPECT_EQ(r.feed.iocs[0].label, "page 1: Máy chủ C2");
  EXPECT_EQ(r.feed.iocs[3].label, "page 1: C2 cổng 8443");
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"md5", 1}}));
  ASSERT_EQ(r.feed.notes.size(), 1u);  // the report's own link: a reference, not an IoC
  EXPECT_NE(r.feed.notes[0].find("https://www.example.org/bao-cao"), std::string::npos);
}

TEST(FeedXlsx, SheetsWithHeadersAndDefangedCells) {
  auto r = parse_fixture("iocs.xlsx");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kXlsx);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 45.77.120.3/32", "url-host cdn-microsoft-update.net",
                                 "ipv6 2001:db8:5c:0:0:0:0:17/128", "domain mail-gov.vn", "ipv4 103.56.53.120/32",
                                 "domain baomoi-24h.com"}));
  EXPECT_EQ(r.feed.iocs[0].line, 3u);
  EXPECT_EQ(r.feed.iocs[0].label, "sheet 'IoCs' row 3: Cobalt Strike team server");
  EXPECT_EQ(r.feed.iocs[4].label, "sheet 'Chỉ số' row 2: Máy chủ C2");
  // Row 5 lists the domain of row 4's URL again; the SHA-256 row is counted by its type.
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"duplicate", 1}, {"sha256", 1}}));
}

TEST(FeedDocx, TablesAndParagraphs) {
  auto r = parse_fixture("appendix.docx");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kDocx);
  EXPECT_EQ(r.feed.advisory, "Báo cáo phân tích chiến dịch OceanLotus");
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 194.233.71.23/32", "domain dl.api-gdrive.com", "ipv4 89.44.198.196/32",
                                 "url-host share-docs.org", "domain news.vn-update.com", "domain img.vn-update.com"}));
  EXPECT_EQ(r.feed.iocs[0].label, "Tóm tắt");  // the Heading 1 above the paragraph
  EXPECT_EQ(r.feed.iocs[2].label, "table 2 row 2: Máy chủ C2");
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"md5", 1}}));
}

TEST(FeedPdf, ScanWithoutTextIsRefusedNotEmpty) {
  auto r = parse_fixture("scan_no_text.pdf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(),
            "scan_no_text.pdf: the PDF has no text layer (a scan?): run it through OCR or ask for the text");
}

TEST(FeedDocuments, ZipBombIsRefusedWithItsReason) {
  auto r = parse_fixture("zip_bomb.xlsx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(),
            "zip_bomb.xlsx: xl/worksheets/sheet1.xml inflates to more than 64 MiB: refused as a possible zip bomb");
}

TEST(FeedDocuments, TotalInflationIsBounded) {
  std::string bytes = read_fixture("iocs.xlsx");
  std::string error;
  ZipLimits tight;
  tight.max_total_bytes = 1000;
  auto zip = ZipArchive::open(bytes, tight, error);
  ASSERT_TRUE(zip) << error;
  std::string out;
  EXPECT_FALSE(zip->read("xl/worksheets/sheet1.xml", out, error) && zip->read("xl/sharedStrings.xml", out, error));
  EXPECT_EQ(error, "the archive inflates to more than 1000 bytes: refused as a possible zip bomb");
}

TEST(FeedDocuments, DamagedOrForeignFiles) {
  ParseOptions opts;
  opts.file_name = "x";
  EXPECT_EQ(parse_pdf("%PDF-1.7\nnot really\n", opts).error->message(),
            "x: not a readable PDF (damaged, or not a PDF)");
  EXPECT_NE(parse_xlsx("PK\x03\x04garbage", opts).error->reason.find("not an XLSX workbook"), std::string::npos);
  std::string docx = read_fixture("appendix.docx");
  EXPECT_EQ(parse_xlsx(docx, opts).error->reason, "not an XLSX workbook: the archive has no xl/workbook.xml");
  // A ZIP that is neither is refused by parse_feed with what it is.
  std::string zip("PK\x03\x04", 4);
  zip += std::string(100, '\0');
  EXPECT_NE(parse_feed(zip, opts).error->reason.find("ZIP archive but not an XLSX workbook"), std::string::npos);
  // Truncated documents: a reason, never a crash.
  std::string pdf = read_fixture("appendix_vi.pdf");
  auto cut = parse_pdf(pdf.substr(0, pdf.size() / 3), opts);
  if (cut.ok()) EXPECT_LE(cut.feed.iocs.size(), 4u);
  else EXPECT_FALSE(cut.error->reason.empty());
  EXPECT_FALSE(parse_docx(docx.substr(0, docx.size() / 2), opts).ok());
}

TEST(FeedDocuments, DetectedFromContentAndNamedByFormat) {
  EXPECT_EQ(detect_feed_format(read_fixture("appendix_vi.pdf")), FeedFormat::kPdf);
  EXPECT_EQ(detect_feed_format(read_fixture("iocs.xlsx")), FeedFormat::kXlsx);
  EXPECT_EQ(detect_feed_format(read_fixture("appendix.docx")), FeedFormat::kDocx);
  EXPECT_EQ(detect_feed_format(read_fixture("volexity_oceanlotus.csv")), FeedFormat::kTable);
  for (const char* name : {"pdf", "xlsx", "docx", "table"}) {
    auto f = feed_format_from_name(name);
    ASSERT_TRUE(f) << name;
    EXPECT_STREQ(feed_format_name(*f), name);
  }
  // --format xlsx on the workbook gives the same as detection.
  EXPECT_EQ(rendered(parse_fixture("iocs.xlsx", FeedFormat::kXlsx).feed), rendered(parse_fixture("iocs.xlsx").feed));
}

}  // namespace
}  // namespace iocgate
