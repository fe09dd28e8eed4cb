//! The data dictionary (`docs/dictionary.md`) lists every column of every table the
//! contract has, with its type, and every value each enumeration may take.

use std::path::Path;

use appraise_data::Table;
use appraise_data::schema::Kind;

#[test]
fn the_dictionary_lists_every_column_and_enum_value() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dictionary.md");
    let text = std::fs::read_to_string(path).unwrap();
    for table in Table::ALL {
        // The table's section: from its heading to the next.
        let heading = format!("### {}\n", table.name());
        let start = text
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading:?}"));
        let section = &text[start + heading.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        for column in table.columns() {
            let row = section
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", column.name)))
                .unwrap_or_else(|| panic!("{}.{} is not listed", table.name(), column.name));
            let required = row.split('|').nth(3).unwrap().trim() == "yes";
            assert_eq!(
                required,
                column.required,
                "{}.{}: required",
                table.name(),
                column.name
            );
            if let Kind::Enum(values) = column.kind {
                for v in values {
                    assert!(
                        row.contains(&format!("`{v}`")),
                        "{}.{}: value {v} is not listed",
                        table.name(),
                        column.name
                    );
                }
            }
        }
    }
}
