//! An export as a request spells it (`?kind=dpo&format=jsonl&min_votes=3`): every field is
//! text, so a bad value gets an error naming the field and the values it accepts, the same
//! from the download endpoint and from the dashboard's preview.

use serde::{Deserialize, Serialize};

use super::{DEFAULT_MIN_VOTES, ExportOptions, Format, Keep, Kind, Policy};
use crate::CoreError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub kind: Option<String>,
    pub format: Option<String>,
    pub variant: Option<String>,
    pub policy: Option<String>,
    pub min_votes: Option<String>,
    /// `weighted` only: the posterior a label needs (default 0.8).
    pub threshold: Option<String>,
    pub max_pairs_per_prompt: Option<String>,
    /// `zip` for the whole dataset directory; the data file alone otherwise.
    pub archive: Option<String>,
    /// `true` for CSV cells safe to open in a spreadsheet (`ExportOptions::csv_safe`).
    pub csv_safe: Option<String>,
    /// The metadata fields written as columns: `all` (default), `none`, or names separated
    /// by commas.
    pub metadata: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn number(field: &'static str, value: &Option<String>) -> Result<Option<u32>, CoreError> {
    given(value)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                CoreError::invalid(field, format!("expected a whole number, got `{v}`"))
            })
        })
        .transpose()
}

fn threshold(value: &Option<String>) -> Result<Option<f64>, CoreError> {
    given(value)
        .map(|v| {
            v.parse::<f64>().map_err(|_| {
                CoreError::invalid(
                    "threshold",
                    format!("expected a number such as 0.8, got `{v}`"),
                )
            })
        })
        .transpose()
}

fn flag(field: &'static str, value: &Option<String>) -> Result<bool, CoreError> {
    match given(value) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(CoreError::invalid(
            field,
            format!("expected `true` or `false`, got `{other}`"),
        )),
    }
}

impl ExportRequest {
    /// The options asked for (defaults for what is missing), and whether a zip of the
    /// dataset directory was asked for.
    pub fn parse(&self) -> Result<(ExportOptions, bool), CoreError> {
        let kind = given(&self.kind).unwrap_or("kto").parse::<Kind>()?;
        let min_votes = number("min_votes", &self.min_votes)?.unwrap_or(DEFAULT_MIN_VOTES);
        let archive = match given(&self.archive) {
            None | Some("none") => false,
            Some("zip") => true,
            Some(other) => {
                return Err(CoreError::invalid(
                    "archive",
                    format!("expected `zip` or nothing, got `{other}`"),
                ));
            }
        };
        // A pair cap only means something for DPO; a form may send it along regardless.
        let max_pairs_per_prompt = match kind {
            Kind::Dpo => number("max_pairs_per_prompt", &self.max_pairs_per_prompt)?,
            _ => None,
        };
        let format = given(&self.format).unwrap_or("parquet").parse()?;
        // Likewise the CSV switch, which the form keeps while another format is chosen.
        let csv_safe = match format {
            Format::Csv => flag("csv_safe", &self.csv_safe)?,
            _ => false,
        };
        // Likewise the threshold, which only `weighted` reads.
        let policy = given(&self.policy).unwrap_or("majority");
        let threshold = match policy {
            "weighted" => threshold(&self.threshold)?,
            _ => None,
        };
        let metadata = match given(&self.metadata) {
            None => Keep::All,
            Some(text) => Keep::parse(text).map_err(|e| CoreError::invalid("metadata", e))?,
        };
        let options = ExportOptions {
            metadata,
            variant: given(&self.variant).unwrap_or("standard").parse()?,
            format,
            policy: Policy::parse(policy, min_votes, threshold)?,
            max_pairs_per_prompt,
            csv_safe,
            ..ExportOptions::new(kind)
        };
        Ok((options, archive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Variant;

    fn request(pairs: &[(&str, &str)]) -> ExportRequest {
        let mut r = ExportRequest::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "kind" => r.kind = v,
                "format" => r.format = v,
                "variant" => r.variant = v,
                "policy" => r.policy = v,
                "min_votes" => r.min_votes = v,
                "threshold" => r.threshold = v,
                "max_pairs_per_prompt" => r.max_pairs_per_prompt = v,
                "archive" => r.archive = v,
                "csv_safe" => r.csv_safe = v,
                _ => unreachable!(),
            }
        }
        r
    }

    #[test]
    fn missing_fields_take_the_defaults() {
        let (options, archive) = request(&[]).parse().unwrap();
        assert_eq!(options, ExportOptions::new(Kind::Kto));
        assert!(!archive);
    }

    #[test]
    fn every_field_is_read() {
        let (options, archive) = request(&[
            ("kind", "dpo"),
            ("format", "jsonl"),
            ("variant", "conversational"),
            ("policy", "unanimous"),
            ("min_votes", "3"),
            ("max_pairs_per_prompt", "4"),
            ("archive", "zip"),
        ])
        .parse()
        .unwrap();
        assert_eq!(options.kind, Kind::Dpo);
        assert_eq!(options.format, Format::Jsonl);
        assert_eq!(options.variant, Variant::Conversational);
        assert_eq!(options.policy, Policy::Unanimous { min_votes: 3 });
        assert_eq!(options.max_pairs_per_prompt, Some(4));
        assert!(archive);
    }

    #[test]
    fn weighted_takes_a_threshold() {
        let (options, _) = request(&[("policy", "weighted"), ("threshold", "0.9")])
            .parse()
            .unwrap();
        assert_eq!(
            options.policy,
            Policy::Weighted {
                min_votes: 2,
                threshold: 0.9
            }
        );
        let err = request(&[("policy", "weighted"), ("threshold", "high")])
            .parse()
            .unwrap_err();
        assert!(err.to_string().starts_with("invalid threshold"), "{err}");
        // The form keeps the field while another policy is chosen: ignored there.
        let (options, _) = request(&[("policy", "majority"), ("threshold", "0.9")])
            .parse()
            .unwrap();
        assert_eq!(options.policy, Policy::default());
    }

    #[test]
    fn bad_values_name_their_field() {
        let err = request(&[("min_votes", "two")]).parse().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid min_votes: expected a whole number, got `two`"
        );
        let err = request(&[("archive", "tar")]).parse().unwrap_err();
        assert!(err.to_string().starts_with("invalid archive"), "{err}");
        let err = request(&[("format", "csv"), ("csv_safe", "yes")])
            .parse()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid csv_safe: expected `true` or `false`, got `yes`"
        );
    }

    #[test]
    fn csv_safe_is_off_unless_asked_for_and_only_for_csv() {
        let csv = |safe: &'static str| request(&[("format", "csv"), ("csv_safe", safe)]);
        assert!(csv("true").parse().unwrap().0.csv_safe);
        assert!(!csv("false").parse().unwrap().0.csv_safe);
        assert!(!request(&[("format", "csv")]).parse().unwrap().0.csv_safe);
        // The form keeps the box's value while another format is chosen: ignored there.
        let jsonl = request(&[("format", "jsonl"), ("csv_safe", "true")]);
        assert!(!jsonl.parse().unwrap().0.csv_safe);
    }
}
