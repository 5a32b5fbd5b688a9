#include "services/queue/domain/selection.h"

#include <gtest/gtest.h>

#include "services/queue/domain/branch.h"
#include "services/queue/domain/estimate.h"

namespace csops::queue {
namespace {

Candidate C(std::int64_t id, const char* service, QueueClass cls, int minute) {
  return {id, service, cls, FromUnixMillis(minute * 60'000)};
}

TEST(SelectionTest, TransferredTicketsComeBeforeEveryoneElse) {
  auto s = SelectNext({C(1, "A", QueueClass::kPriority, 0), C(2, "B", QueueClass::kTransferred, 5)},
                      {"A", "B"}, SelectionPolicy::kStrictOrder, 2, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->chosen.ticket_id, 2);
  EXPECT_EQ(s->new_priority_streak, 0);
}

TEST(SelectionTest, RatioLetsOneNormalThroughAfterNPriority) {
  std::vector<Candidate> heads = {C(1, "A", QueueClass::kNormal, 0),
                                  C(2, "A", QueueClass::kPriority, 1)};
  EXPECT_EQ(SelectNext(heads, {"A"}, SelectionPolicy::kStrictOrder, 2, 0)->chosen.ticket_id, 2);
  EXPECT_EQ(SelectNext(heads, {"A"}, SelectionPolicy::kStrictOrder, 2, 1)->chosen.ticket_id, 2);
  auto third = SelectNext(heads, {"A"}, SelectionPolicy::kStrictOrder, 2, 2);
  EXPECT_EQ(third->chosen.ticket_id, 1);
  EXPECT_EQ(third->new_priority_streak, 0);
  // With no normal ticket waiting, priority keeps going.
  EXPECT_EQ(SelectNext({heads[1]}, {"A"}, SelectionPolicy::kStrictOrder, 2, 5)->chosen.ticket_id,
            2);
}

TEST(SelectionTest, PoliciesDifferOnlyAcrossServices) {
  std::vector<Candidate> heads = {C(1, "A", QueueClass::kNormal, 0),
                                  C(2, "B", QueueClass::kNormal, 1)};
  EXPECT_EQ(SelectNext(heads, {"B", "A"}, SelectionPolicy::kStrictOrder, 2, 0)->chosen.ticket_id,
            2);
  EXPECT_EQ(SelectNext(heads, {"B", "A"}, SelectionPolicy::kOldestFirst, 2, 0)->chosen.ticket_id,
            1);
  EXPECT_FALSE(SelectNext({}, {"A"}, SelectionPolicy::kOldestFirst, 2, 0));
}

TEST(EstimateTest, DividesByOpenCountersAndFlagsNone) {
  auto e = EstimateWait(4, std::nullopt, std::chrono::seconds(300), 2);
  EXPECT_EQ(e.wait, std::chrono::seconds(600));
  EXPECT_FALSE(e.no_open_counter);
  e = EstimateWait(4, std::chrono::seconds(60), std::chrono::seconds(300), 0);
  EXPECT_EQ(e.wait, std::chrono::seconds(240));
  EXPECT_TRUE(e.no_open_counter);
}

TEST(BranchTest, ParsesAndFormatsTicketNumbers) {
  EXPECT_EQ(ParseTicketNumber("A023")->second, 23);
  EXPECT_FALSE(ParseTicketNumber("a023"));
  EXPECT_FALSE(ParseTicketNumber("A"));
  EXPECT_FALSE(ParseTicketNumber("A02x"));
  BranchModel b;
  ServiceModel s;
  s.code = "B";
  s.width = 3;
  EXPECT_EQ(b.FormatNumber(s, 7), "B007");
}

}  // namespace
}  // namespace csops::queue
