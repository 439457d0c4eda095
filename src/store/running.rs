//! A daily series as running sums, so that its value over any span is two
//! binary searches: the one place a span's value is computed from daily
//! values (`CountStore::span_values` and the sled store's kept series).

use crate::domain::Day;

/// A counter series as running sums: `sums[i]` is the total of its values
/// on the days up to `days[i]` included.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RunningSums {
    days: Vec<Day>,
    sums: Vec<i64>,
}

impl RunningSums {
    /// The running sums of `daily` (sorted by day).
    pub(crate) fn of(daily: &[(Day, i64)]) -> RunningSums {
        let mut total = 0;
        let (days, sums) = daily
            .iter()
            .map(|&(day, value)| {
                total += value;
                (day, total)
            })
            .unzip();
        RunningSums { days, sums }
    }

    /// The total of the values on the days before `day`.
    pub(crate) fn before(&self, day: Day) -> i64 {
        self.at(self.days.partition_point(|d| *d < day))
    }

    /// The total of the values on the days up to `day` included.
    pub(crate) fn through(&self, day: Day) -> i64 {
        self.at(self.days.partition_point(|d| *d <= day))
    }

    /// The total of the values from `from` to `to` included.
    pub(crate) fn between(&self, from: Day, to: Day) -> i64 {
        if from > to {
            return 0;
        }
        self.through(to) - self.before(from)
    }

    fn at(&self, n: usize) -> i64 {
        n.checked_sub(1).map_or(0, |i| self.sums[i])
    }

    /// Memory its days and sums take.
    pub(crate) fn bytes(&self) -> usize {
        self.days.len() * (size_of::<Day>() + size_of::<i64>()) + 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i32) -> Day {
        Day::from_epoch_days(n)
    }

    #[test]
    fn spans_are_differences_of_running_sums() {
        let sums = RunningSums::of(&[(day(2), 3), (day(5), -1), (day(9), 4)]);
        assert_eq!(sums.between(day(0), day(1)), 0);
        assert_eq!(sums.between(day(2), day(2)), 3);
        assert_eq!(sums.between(day(3), day(8)), -1);
        assert_eq!(sums.between(day(2), day(9)), 6);
        assert_eq!(sums.between(day(6), day(100)), 4);
        assert_eq!(sums.between(day(9), day(2)), 0);
        assert_eq!(sums.through(day(5)), 2);
        assert_eq!(sums.through(Day::MIN), 0);
        assert_eq!(sums.before(Day::MAX), 6);
    }
}
