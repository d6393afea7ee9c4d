//! The one timer a session's loop waits on, re-armed only when a deadline comes earlier.
//!
//! A session's sans-IO machine moves its deadline with every frame it hears (silence is
//! counted from the last one). Arming a fresh tokio timer per frame puts a timer-wheel insert
//! and removal on the path of every event a node sends to every desktop; this keeps the armed
//! instant when the new deadline is later, lets it fire early, and relies on the machine's
//! `handle_timeout`, which acts only on what is due and reports the next deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Instant, Sleep};

/// A lazily re-armed timer (see the module docs).
#[derive(Debug)]
pub struct Alarm {
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
}

impl Default for Alarm {
    fn default() -> Self {
        Alarm::new()
    }
}

impl Alarm {
    /// An alarm that is not armed.
    pub fn new() -> Alarm {
        Alarm { sleep: Box::pin(tokio::time::sleep_until(Instant::now())), armed: None }
    }

    /// Wants a wake-up by `deadline` (`None`: no deadline). The alarm may ring earlier.
    pub fn set(&mut self, deadline: Option<Instant>) {
        match (deadline, self.armed) {
            (None, _) => self.armed = None,
            (Some(due), Some(armed)) if armed <= due => {}
            (Some(due), _) => {
                self.sleep.as_mut().reset(due);
                self.armed = Some(due);
            }
        }
    }

    /// Whether a deadline is armed (for `select!` guards).
    pub fn is_armed(&self) -> bool {
        self.armed.is_some()
    }

    /// Resolves when the armed deadline passes, and disarms. Pending forever when not armed.
    pub fn ring(&mut self) -> Ring<'_> {
        Ring { alarm: self }
    }
}

/// The future of [`Alarm::ring`].
#[derive(Debug)]
pub struct Ring<'a> {
    alarm: &'a mut Alarm,
}

impl Future for Ring<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.alarm.armed.is_none() {
            return Poll::Pending;
        }
        match self.alarm.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.alarm.armed = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_later_deadline_keeps_the_earlier_one_and_an_earlier_one_replaces_it() {
        let start = Instant::now();
        let mut alarm = Alarm::new();
        alarm.set(Some(start + Duration::from_millis(100)));
        alarm.set(Some(start + Duration::from_millis(300)));
        alarm.ring().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(100));
        assert!(!alarm.is_armed());
        alarm.set(Some(start + Duration::from_millis(500)));
        alarm.set(Some(start + Duration::from_millis(200)));
        alarm.ring().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unarmed_alarm_never_rings() {
        let mut alarm = Alarm::new();
        alarm.set(Some(Instant::now() + Duration::from_millis(10)));
        alarm.set(None);
        let rang = tokio::time::timeout(Duration::from_secs(5), alarm.ring()).await;
        assert!(rang.is_err());
    }
}
