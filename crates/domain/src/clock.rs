//! Time is injected so that protection periods, recycling and cool-downs can be tested by
//! moving a clock instead of sleeping.

use crate::Timestamp;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that reads what it is told: tests move it instead of sleeping, and
/// `leadguard recycle --now` pretends it is another day.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<Timestamp>);

impl ManualClock {
    pub fn new(now: Timestamp) -> Self {
        ManualClock(std::sync::Mutex::new(now))
    }

    pub fn set(&self, now: Timestamp) {
        match self.0.lock() {
            Ok(mut t) => *t = now,
            Err(e) => *e.into_inner() = now,
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        let now = self.now();
        self.set(now + by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        match self.0.lock() {
            Ok(t) => *t,
            Err(e) => *e.into_inner(),
        }
    }
}
