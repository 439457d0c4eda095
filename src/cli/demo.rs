//! placeholder
use super::{DemoArgs, Exit};
use crate::config::Config;
pub(super) async fn demo(
    _c: Config,
    _d: Option<std::path::PathBuf>,
    _a: DemoArgs,
) -> anyhow::Result<Exit> {
    Ok(Exit::Success)
}
