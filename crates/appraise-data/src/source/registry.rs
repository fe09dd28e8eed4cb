//! Which source reads a `--data` folder or an ingest's `--from`: one line per source.

use std::path::Path;

use super::files::Files;
use super::mysql::{Mysql, is_mysql};
use super::postgres::{Postgres, is_postgres};
use super::{InputFormat, LoadOptions, Source};
use crate::xroad::source::Monitoring;
use crate::{Error, Warning};

/// The source of the rows at `place`: a PostgreSQL or MySQL database
/// (`postgresql://...`, `mysql://...`, or `env:NAME` holding such an address), a
/// warehouse read whole, X-Road records (with [`InputFormat::Xroad`]), or a data folder
/// of table files; `warnings` gets what finding them noticed.
pub(crate) fn open(
    place: &Path,
    opts: &LoadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Box<dyn Source>, Error> {
    if let Some(address) = super::database::address(place)? {
        if is_postgres(&address) {
            return Ok(Box::new(Postgres::open(&address, opts)?));
        }
        if is_mysql(&address) {
            return Ok(Box::new(Mysql::open(&address, opts)?));
        }
    }
    if crate::warehouse::is_warehouse(place) {
        return Ok(Box::new(crate::warehouse::Committed::every_table(place)?));
    }
    Ok(match opts.input_format {
        InputFormat::Xroad => Box::new(Monitoring::open(place, opts)?),
        forced => Box::new(Files::folder(place, forced, warnings)?),
    })
}
