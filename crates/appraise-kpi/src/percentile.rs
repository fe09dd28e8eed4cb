//! appraise's exact `percentile_cont`: `percentile_cont(0.9) WITHIN GROUP (ORDER BY x)`
//! (the SQL standard's ordered-set aggregate, as DuckDB and PostgreSQL read it).
//!
//! DataFusion's function of that name finds the two nearest values exactly but rounds
//! the weight between them to six decimals, so its 90th percentile of whole numbers
//! can end in `…199916`. appraise registers its own under the same name (and
//! `quantile_cont`) on every session and on its cluster executors: the value at
//! position `pos = (n − 1) × p` of the sorted values, `lo + (pos − ⌊pos⌋) × (hi − lo)`
//! between the values at `⌊pos⌋` and `⌈pos⌉`, in exactly the floating-point steps of
//! the cumulative-count SQL the percentile KPIs were written in before it (their
//! values are unchanged to the last bit). `p` is read to six decimals (`pos` is the
//! correctly rounded `(n − 1) × round(p × 10⁶) / 10⁶`). Nulls are left out; a group
//! without a value gives null; `ORDER BY x DESC` takes `1 − p`.
//!
//! It keeps a group's values in memory (8 bytes each), counted against the engine's
//! memory limit, which stops a query that would exceed it with an error; it does not
//! spill to disk.
//!
//! `appraise_percentiles(x, p1, p2, …)` is the same over one set of values for several
//! fractions at once, as a list (`[1]` the first): what a fused statement uses where
//! several KPIs take percentiles of the same values ([`crate::fuse`]), so that they are
//! gathered and held once. Each is the value `percentile_cont(pᵢ)` gives.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature,
    TypeSignature, Volatility,
};

/// The exact `percentile_cont` aggregate, ready to register.
pub fn percentile_cont() -> AggregateUDF {
    AggregateUDF::from(PercentileCont::one())
}

/// The exact continuous percentile `fraction` (0–1) of `values` (reordered here):
/// `None` for none. Only the two order statistics are found (a selection, linear in the
/// values), not the whole order.
pub(crate) fn exact(values: &mut [f64], fraction: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let (n, scale) = ((values.len() - 1) as f64, 1e6);
    // (n − 1) × k / 10⁶ with k whole: the correctly rounded value of the exact
    // rational, as the SQL's `CAST((n - 1) * 9 AS DOUBLE) / 10` is.
    let pos = n * (fraction * scale).round() / scale;
    let at = pos.floor() as usize;
    let (_, lo, above) = values.select_nth_unstable_by(at, f64::total_cmp);
    let lo = *lo;
    // The next in order is the smallest of those above it.
    let hi = if pos.ceil() as usize == at {
        lo
    } else {
        above.iter().copied().min_by(f64::total_cmp).unwrap_or(lo)
    };
    Some(lo + (pos - pos.floor()) * (hi - lo))
}

/// appraise's `percentile_cont`, or with `list` `appraise_percentiles` ([module
/// docs](self)).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PercentileCont {
    signature: Signature,
    aliases: Vec<String>,
    /// Several fractions, the result a list (`appraise_percentiles`).
    list: bool,
}

impl PercentileCont {
    /// `percentile_cont(p) WITHIN GROUP (ORDER BY x)`.
    fn one() -> Self {
        let float = || {
            datafusion::logical_expr::Coercion::new_implicit(
                datafusion::logical_expr::TypeSignatureClass::Native(
                    datafusion::common::types::logical_float64(),
                ),
                vec![datafusion::logical_expr::TypeSignatureClass::Numeric],
                datafusion::common::types::NativeType::Float64,
            )
        };
        PercentileCont {
            // (value, fraction), as DataFusion's: WITHIN GROUP (ORDER BY value) puts the
            // ordered value first.
            signature: Signature::one_of(
                vec![TypeSignature::Coercible(vec![float(), float()])],
                Volatility::Immutable,
            ),
            aliases: vec!["quantile_cont".into()],
            list: false,
        }
    }

    /// `appraise_percentiles(x, p1, p2, …)`.
    fn several() -> Self {
        PercentileCont {
            signature: Signature::user_defined(Volatility::Immutable),
            aliases: Vec::new(),
            list: true,
        }
    }
}

/// The fractions of a call, its arguments after the first: literals between 0 and 1;
/// `1 − p` under `DESC`.
fn fractions(args: &AccumulatorArgs) -> Result<Vec<f64>> {
    // A literal evaluates without rows; a column does not.
    let empty = datafusion::arrow::record_batch::RecordBatch::new_empty(Arc::new(
        datafusion::arrow::datatypes::Schema::empty(),
    ));
    let descending = args.order_bys.first().is_some_and(|s| s.options.descending);
    let mut out = Vec::new();
    for e in args.exprs.iter().skip(1) {
        let p = match e.evaluate(&empty) {
            Ok(datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Float64(Some(p)))) => p,
            Ok(datafusion::logical_expr::ColumnarValue::Scalar(ScalarValue::Float32(Some(p)))) => {
                f64::from(p)
            }
            _ => return plan_err!("percentile_cont: the percentile must be a literal number"),
        };
        if !(0.0..=1.0).contains(&p) {
            return plan_err!("percentile_cont: the percentile {p} is not between 0 and 1");
        }
        out.push(if descending { 1.0 - p } else { p });
    }
    if out.is_empty() {
        return plan_err!("percentile_cont: no percentile given");
    }
    Ok(out)
}

impl AggregateUDFImpl for PercentileCont {
    fn name(&self) -> &str {
        if self.list {
            "appraise_percentiles"
        } else {
            "percentile_cont"
        }
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// `appraise_percentiles`' arguments (its signature is its own): a number, then
    /// one or more fractions, all as floats.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() < 2 || !arg_types.iter().all(DataType::is_numeric) {
            return plan_err!("appraise_percentiles: a number, then one or more fractions");
        }
        Ok(vec![DataType::Float64; arg_types.len()])
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.list {
            DataType::List(float_item())
        } else {
            DataType::Float64
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "percentile_cont"),
            DataType::List(float_item()),
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(One::new(&args, self.list)?))
    }

    fn groups_accumulator_supported(&self, _: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups::new(&args, self.list)?))
    }

    fn supports_within_group_clause(&self) -> bool {
        !self.list
    }
}

/// `appraise_percentiles`, ready to register ([module docs](self)).
pub fn percentiles() -> AggregateUDF {
    AggregateUDF::from(PercentileCont::several())
}

/// The item of a list of floats (a state's values, `appraise_percentiles`' result).
fn float_item() -> FieldRef {
    Arc::new(Field::new_list_field(DataType::Float64, true))
}

/// The result of values `v` (reordered) for `fractions`: the one percentile, or with
/// `list` the list of them.
fn result_of(v: &mut [f64], fractions: &[f64], list: bool) -> ScalarValue {
    if !list {
        return ScalarValue::Float64(exact(v, fractions[0]));
    }
    let each: Float64Array = fractions.iter().map(|&f| exact(v, f)).collect();
    ScalarValue::List(Arc::new(ListArray::new(
        float_item(),
        OffsetBuffer::from_lengths([each.len()]),
        Arc::new(each),
        None,
    )))
}

/// The values of a list state, flattened, with each row's range.
fn listed(state: &ArrayRef) -> Result<&ListArray> {
    state
        .as_list_opt::<i32>()
        .ok_or_else(|| DataFusionError::Internal("percentile_cont: state is not a list".into()))
}

/// One group's values as a list state.
fn as_list(groups: Vec<Vec<f64>>) -> ArrayRef {
    let mut offsets = Vec::with_capacity(groups.len() + 1);
    offsets.push(0i32);
    let mut end = 0i32;
    for g in &groups {
        end += g.len() as i32;
        offsets.push(end);
    }
    let values: Vec<f64> = groups.into_iter().flatten().collect();
    Arc::new(ListArray::new(
        float_item(),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Arc::new(Float64Array::from(values)),
        None,
    ))
}

/// The accumulator of one group.
#[derive(Debug)]
struct One {
    values: Vec<f64>,
    fractions: Vec<f64>,
    /// A list of the percentiles (`appraise_percentiles`), or the one.
    list: bool,
}

impl One {
    /// The accumulator of a call's `args`; with `list`, of `appraise_percentiles`.
    fn new(args: &AccumulatorArgs, list: bool) -> Result<One> {
        Ok(One {
            values: Vec::new(),
            fractions: fractions(args)?,
            list,
        })
    }
}

impl Accumulator for One {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = values[0].as_primitive::<Float64Type>();
        self.values.extend(v.iter().flatten());
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for list in listed(&states[0])?.iter().flatten() {
            self.values
                .extend(list.as_primitive::<Float64Type>().iter().flatten());
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = as_list(vec![std::mem::take(&mut self.values)]);
        Ok(vec![ScalarValue::List(Arc::new(
            list.as_list::<i32>().clone(),
        ))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(result_of(&mut self.values, &self.fractions, self.list))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * size_of::<f64>()
    }
}

/// The accumulator of many groups.
#[derive(Debug)]
struct Groups {
    groups: Vec<Vec<f64>>,
    fractions: Vec<f64>,
    /// A list of the percentiles (`appraise_percentiles`), or the one.
    list: bool,
    /// Bytes held by the groups' values.
    bytes: usize,
}

impl Groups {
    /// The accumulator of a call's `args`; with `list`, of `appraise_percentiles`.
    fn new(args: &AccumulatorArgs, list: bool) -> Result<Groups> {
        Ok(Groups {
            groups: Vec::new(),
            fractions: fractions(args)?,
            list,
            bytes: 0,
        })
    }

    fn push(&mut self, group: usize, value: f64) {
        let g = &mut self.groups[group];
        let before = g.capacity();
        g.push(value);
        self.bytes += (g.capacity() - before) * size_of::<f64>();
    }

    fn take(&mut self, emit_to: EmitTo) -> Vec<Vec<f64>> {
        let taken = emit_to.take_needed(&mut self.groups);
        self.bytes -= taken
            .iter()
            .map(|g| g.capacity() * size_of::<f64>())
            .sum::<usize>();
        taken
    }
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, Vec::new);
        let v = values[0].as_primitive::<Float64Type>();
        for (row, &group) in group_indices.iter().enumerate() {
            let kept = opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
            if kept && v.is_valid(row) {
                self.push(group, v.value(row));
            }
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, Vec::new);
        let lists = listed(&values[0])?;
        for (row, &group) in group_indices.iter().enumerate() {
            if lists.is_valid(row) {
                let list = lists.value(row);
                for x in list.as_primitive::<Float64Type>().iter().flatten() {
                    self.push(group, x);
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (fractions, list) = (self.fractions.clone(), self.list);
        let results: Vec<ScalarValue> = self
            .take(emit_to)
            .iter_mut()
            .map(|g| result_of(g, &fractions, list))
            .collect();
        let data_type = if list {
            DataType::List(float_item())
        } else {
            DataType::Float64
        };
        if results.is_empty() {
            return Ok(datafusion::arrow::array::new_empty_array(&data_type));
        }
        ScalarValue::iter_to_array(results)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![as_list(self.take(emit_to))])
    }

    fn size(&self) -> usize {
        self.bytes + self.groups.capacity() * size_of::<Vec<f64>>()
    }

    /// Each row as a group of its own: its value, or none where null or filtered out.
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let v = values[0].as_primitive::<Float64Type>();
        let rows = (0..v.len())
            .map(|row| {
                let kept = opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
                if kept && v.is_valid(row) {
                    vec![v.value(row)]
                } else {
                    Vec::new()
                }
            })
            .collect();
        Ok(vec![as_list(rows)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_interpolates_between_the_two_nearest_as_the_kpi_sql_does() {
        // 1..=10: pos = 9 × 0.9 = 8.1, between 9 and 10.
        let mut v: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(exact(&mut v, 0.9), Some(9.0 + (8.1 - 8.0) * 1.0));
        assert_eq!(exact(&mut [4.0], 0.9), Some(4.0));
        assert_eq!(exact(&mut [], 0.5), None);
        assert_eq!(exact(&mut [8.0, 1.0, 4.0, 2.0], 0.5), Some(3.0));
        // The SQL's position, `CAST((n - 1) * 9 AS DOUBLE) / 10`, to the last bit.
        for n in 1..5000_i64 {
            let sql = ((n - 1) * 9) as f64 / 10.0;
            let ours = (n - 1) as f64 * (0.9_f64 * 1e6).round() / 1e6;
            assert_eq!(sql.to_bits(), ours.to_bits(), "n = {n}");
        }
    }
}
