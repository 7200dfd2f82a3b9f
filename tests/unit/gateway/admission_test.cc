#include "gateway/admission.h"

#include <gtest/gtest.h>

#include <vector>

namespace meshgate::gateway {
namespace {

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}

TEST(Admission, AdmitsUpToTheConnectionLimitAndTakesTwoDescriptorsEach) {
  Admission admission(2, 0, 100);
  CloseReason refusal = CloseReason::kCompleted;
  AdmissionTicket a = admission.admit(ip("10.0.0.1"), &refusal);
  AdmissionTicket b = admission.admit(ip("10.0.0.2"), &refusal);
  ASSERT_TRUE(a.valid() && b.valid());
  EXPECT_EQ(admission.open(), 2u);
  EXPECT_EQ(admission.descriptors_in_use(), 4u);
  AdmissionTicket c = admission.admit(ip("10.0.0.3"), &refusal);
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(refusal, CloseReason::kOverCapacity);
  a.reset();
  EXPECT_EQ(admission.open(), 1u);
  EXPECT_EQ(admission.descriptors_in_use(), 2u);
  EXPECT_TRUE(admission.admit(ip("10.0.0.3"), &refusal).valid());
}

TEST(Admission, RefusesBeforeTheDescriptorBudgetIsSpent) {
  Admission admission(100, 0, 5);  // room for two connections' sockets, not three
  CloseReason refusal = CloseReason::kCompleted;
  std::vector<AdmissionTicket> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(admission.admit(ip("10.0.0.1"), &refusal));
  EXPECT_TRUE(held[0].valid() && held[1].valid());
  EXPECT_FALSE(held[2].valid());
  EXPECT_EQ(refusal, CloseReason::kNoDescriptors);
  EXPECT_EQ(admission.open(), 2u);              // the refused one holds nothing
  EXPECT_FALSE(admission.take_descriptors(2));  // nor is there room for a pipe
  EXPECT_TRUE(admission.take_descriptors(1));
  admission.give_descriptors(1);
  EXPECT_EQ(admission.effective_max_connections(), 2u);
}

TEST(Admission, ACapsEachClientAcrossItsConnections) {
  Admission admission(100, 2, 1000);
  CloseReason refusal = CloseReason::kCompleted;
  std::vector<AdmissionTicket> held;
  for (int i = 0; i < 2; ++i)
    held.push_back(admission.admit(ip("192.0.2.7"), &refusal));
  ASSERT_TRUE(held[0].valid() && held[1].valid());
  AdmissionTicket third = admission.admit(ip("192.0.2.7"), &refusal);
  EXPECT_FALSE(third.valid());
  EXPECT_EQ(refusal, CloseReason::kOverClientLimit);
  EXPECT_EQ(admission.open(), 2u);
  EXPECT_EQ(admission.descriptors_in_use(), 4u);
  EXPECT_TRUE(admission.admit(ip("192.0.2.8"), &refusal).valid());  // another client
  // An IPv6 client is its /64, an IPv4-mapped one its IPv4 address.
  held.push_back(admission.admit(ip("2001:db8::1"), &refusal));
  held.push_back(admission.admit(ip("2001:db8::2:3"), &refusal));
  EXPECT_FALSE(admission.admit(ip("2001:db8::ffff"), &refusal).valid());
  EXPECT_FALSE(admission.admit(ip("::ffff:192.0.2.7"), &refusal).valid());
  held[0].reset();
  EXPECT_TRUE(admission.admit(ip("192.0.2.7"), &refusal).valid());
}

TEST(Admission, NewLimitsApplyToTheNextAdmission) {
  Admission admission(1, 0, 1000);
  CloseReason refusal = CloseReason::kCompleted;
  AdmissionTicket a = admission.admit(ip("10.0.0.1"), &refusal);
  EXPECT_FALSE(admission.admit(ip("10.0.0.1"), &refusal).valid());
  admission.set_limits(3, 1);
  // `a` came while no client was capped: it counts in the total only.
  AdmissionTicket b = admission.admit(ip("10.0.0.1"), &refusal);
  EXPECT_TRUE(b.valid());
  EXPECT_FALSE(admission.admit(ip("10.0.0.1"), &refusal).valid());
  EXPECT_EQ(refusal, CloseReason::kOverClientLimit);
}

TEST(Admission, AMovedTicketGivesBackOnce) {
  Admission admission(10, 1, 100);
  CloseReason refusal = CloseReason::kCompleted;
  AdmissionTicket a = admission.admit(ip("10.0.0.1"), &refusal);
  AdmissionTicket b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_TRUE(b.valid());
  b.reset();
  b.reset();
  EXPECT_EQ(admission.open(), 0u);
  EXPECT_EQ(admission.descriptors_in_use(), 0u);
  EXPECT_TRUE(admission.admit(ip("10.0.0.1"), &refusal).valid());
}

}  // namespace
}  // namespace meshgate::gateway
