//! parquet (built without the `parquet` cargo feature): --parquet says so and stops.

use std::fs::File;
use std::io;
use std::time::Duration;

use crate::model::event::{Event, LifeEvent};

pub const ROW_GROUP_AGE: Duration = Duration::from_secs(5);

/// Never made: `new` fails.
pub struct Writer(());

impl Writer {
    pub fn new(_: File, _: i64) -> io::Result<Writer> {
        Err(io::Error::other(
            "this etrace was built without Parquet support (cargo feature `parquet`)",
        ))
    }
    pub fn with_max_age(self, _: Duration) -> Self {
        self
    }
    pub fn add(&mut self, _: &Event<'_>, _: u8) -> io::Result<()> {
        Ok(())
    }
    pub fn add_life(&mut self, _: &LifeEvent<'_>) -> io::Result<()> {
        Ok(())
    }
    pub fn tick(&mut self) -> io::Result<()> {
        Ok(())
    }
    pub fn finish(&mut self) -> io::Result<u64> {
        Ok(0)
    }
}
