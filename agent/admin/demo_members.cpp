#include "agent/admin/demo_members.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace pma::admin {

namespace {

// splitmix64: a good, tiny mixer; enough for synthetic data.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::array<std::string_view, 24> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
    "马", "朱", "胡", "郭", "何", "林", "高", "罗", "郑", "梁", "谢", "宋"};
constexpr std::array<std::string_view, 32> kGiven = {
    "伟",   "芳",   "娜",   "秀英", "敏",   "静",   "丽",   "强",   "磊",   "军",  "洋",
    "勇",   "艳",   "杰",   "娟",   "涛",   "明",   "超",   "秀兰", "霞",   "平",  "刚",
    "桂英", "欣怡", "子涵", "浩然", "梓萱", "宇轩", "雨桐", "思远", "佳怡", "俊杰"};
// Prefixes of mainland mobile carriers (China Mobile, Unicom, Telecom).
constexpr std::array<std::string_view, 16> kPrefixes = {"134", "135", "136", "137", "138", "139",
                                                        "150", "151", "158", "186", "187", "177",
                                                        "180", "189", "199", "166"};
constexpr std::array<int, 12> kDaysInMonth = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

}  // namespace

DemoMember DemoMemberGenerator::make(std::int64_t index) const {
  const auto i = static_cast<std::uint64_t>(index);
  std::uint64_t r = mix(seed_ ^ mix(i));
  DemoMember m;
  m.member_id = fmt::format("M{:08}", index + 1);
  m.card_no = fmt::format("8860{:012}", (i * 7919 + seed_ % 1000) % 1000000000000ULL);
  // index -> (prefix, 8 digits) is one-to-one below 10^8: 7919 is coprime with 10^8.
  std::uint64_t suffix = (i * 7919 + 12345678) % 100000000ULL;
  m.phone = fmt::format("{}{:08}", kPrefixes[(i + seed_) % kPrefixes.size()], suffix);
  m.name = fmt::format("{}{}", kSurnames[r % kSurnames.size()], kGiven[(r >> 8) % kGiven.size()]);
  int month = static_cast<int>((r >> 16) % 12);
  int day = static_cast<int>((r >> 24) % kDaysInMonth[month]) + 1;
  m.birthday = fmt::format("{:02}-{:02}", month + 1, day);
  int tier_roll = static_cast<int>((r >> 32) % 100);
  m.tier = tier_roll < 70 ? 1 : (tier_roll < 92 ? 2 : 3);
  m.points = static_cast<std::int64_t>((r >> 40) % (m.tier == 3 ? 20000 : 5000));
  return m;
}

Status seed_demo_members(store::Database& db, store::MemberStore& members, std::int64_t first,
                         std::int64_t count, std::uint64_t seed, std::int64_t now,
                         const std::function<void(std::int64_t, std::int64_t)>& progress,
                         std::int64_t chunk) {
  DemoMemberGenerator generator(seed);
  std::int64_t done = 0;
  while (done < count) {
    PMA_TRY_ASSIGN(auto tx, store::Transaction::begin(db));
    std::int64_t end = std::min(count, done + chunk);
    for (; done < end; ++done) {
      DemoMember m = generator.make(first + done);
      auto ok = members.upsert({.member_id = m.member_id,
                                .card_no = m.card_no,
                                .phone = m.phone,
                                .name = m.name,
                                .birthday = m.birthday,
                                .tier = m.tier,
                                .hq_points = m.points,
                                .hq_version = 1},
                               now);
      if (!ok) return ok;
    }
    if (auto ok = tx.commit(); !ok) return ok;
    if (progress) progress(done, count);
  }
  return {};
}

}  // namespace pma::admin
