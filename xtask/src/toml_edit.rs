//! Edits of config tables shared by the tasks that assemble run configs (`compare`, `sweep`).

/// Sets the dotted key `a.b.c` in `table` to `value`, creating the tables on the way.
///
/// # Errors
///
/// An empty last part (`"a."`), or a part on the way that holds a value rather than a table:
/// the message names it.
pub(crate) fn set_dotted(
    table: &mut toml::Table,
    key: &str,
    value: toml::Value,
) -> Result<(), String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().filter(|k| !k.is_empty()).ok_or("empty key")?;
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("{p:?} is not a table"))?;
    }
    t.insert(last.to_owned(), value);
    Ok(())
}
