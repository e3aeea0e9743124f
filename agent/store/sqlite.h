// The till's names for the shared SQLite wrapper (drivers/sqlite): the store and the modules
// that take a store::Database (checkout, printing) say store::Database, store::Transaction.
// Nothing is defined here. Thread-compatible, as the wrapper.
#pragma once

#include "drivers/sqlite/database.h"

namespace pma::store {

using sqlite::bytes_of;
using sqlite::checkpoint_if_needed;
using sqlite::Database;
using sqlite::OpenOptions;
using sqlite::run;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::WalCheckpoint;

}  // namespace pma::store
