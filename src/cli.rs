//! The command line as the user typed it (clap), and its one conversion into checked
//! configurations. Library code never sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::{Error, Result};
use crate::model::train::{TrainParams, TuneGrid};
use crate::read::table::{ColumnRef, TableOptions};
use crate::report::Format;

const EXIT_CODES: &str = "Exit codes: 0 success; 1 unexpected failure; 2 bad command line; 3 an input \
could not be read (also after scoring, when some rows were reported as unreadable); 4 a model file is \
missing, damaged or of another format version; 5 the data cannot train a model; 6 eval --baseline found a regression; \
7 an output could not be written (a full disk, no permission).";

/// Finds the collectors and hard sellers in a professional inbox.
#[derive(Debug, Parser)]
#[command(name = "hardsell", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Worker threads (default: all cores); with 1, scoring reads and scores on one thread.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// No messages on stderr (errors still print).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a model on a labeled file.
    Train(TrainArgs),
    /// Measure a model on a labeled file; optionally gate on a recorded baseline.
    Eval(EvalArgs),
    /// Score a LinkedIn export (folder or zip) or mail (mbox, .eml, maildir, a folder or archive of them): one verdict per sender; or delimited files: one row per message.
    Score(ScoreArgs),
}

/// How to read a delimited input.
#[derive(Debug, Args, Clone)]
pub struct TableArgs {
    /// Column holding the message text (a 1-based number with --no-header).
    #[arg(long, default_value = "text")]
    pub text_column: String,
    /// Column holding the label.
    #[arg(long, default_value = "label")]
    pub label_column: String,
    /// Column holding a subject line [default: `subject` when present].
    #[arg(long)]
    pub subject_column: Option<String>,
    /// Column holding a row id [default: `id` when present, else file:line].
    #[arg(long)]
    pub id_column: Option<String>,
    /// Field delimiter: one character, or `tab` [default: tab for a .tsv file, else sniffed from
    /// the first 20 rows].
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The file has no header row; name columns by number.
    #[arg(long)]
    pub no_header: bool,
    /// Treat `"` as an ordinary character (raw TSV such as the SMS Spam Collection).
    #[arg(long)]
    pub no_quoting: bool,
}

/// `hardsell train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labeled input(s): tables with the same columns, or a folder / .tar.gz / .zip of raw mail
    /// whose sub-folders are labels (`spam/`, `ham/`); repeat the flag for several.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    /// Rename labels, `spam-1=spam,easy-ham-1=ham`: raw-mail label folders, or a table's label
    /// values (`collector=ham,ok=ham,hard_sell=spam` makes a two-label model); `=-` skips a
    /// folder, or leaves a table's rows unlabeled (context only).
    #[arg(long, value_parser = parse_label_map, default_value = "")]
    pub label_map: LabelMap,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// How to read the input table.
    #[command(flatten)]
    pub table: TableArgs,
    /// The flagged label of two-label data [default: `spam` when present, else the rarer label].
    #[arg(long)]
    pub positive: Option<String>,
    /// Folds for the out-of-fold text scores and the threshold choice.
    #[arg(long, default_value_t = 3)]
    pub cv: usize,
    /// L2 strength of the text model (1/C of scikit-learn).
    #[arg(long, default_value_t = 0.1)]
    pub alpha: f64,
    /// L2 strength of the linfa-logistic combiner.
    #[arg(long, default_value_t = 1.0)]
    pub combiner_alpha: f64,
    /// Hashed text width as a power of two (10..=24).
    #[arg(long, default_value_t = 18)]
    pub hash_bits: u32,
    /// Character n-gram lengths inside words, as MIN-MAX (`0-0` turns them off).
    #[arg(long, default_value = "2-5")]
    pub char_ngrams: String,
    /// Characters of each message that feed character n-grams.
    #[arg(long, default_value_t = 3000)]
    pub char_limit: usize,
    /// Drop n-grams seen in fewer messages.
    #[arg(long, default_value_t = 2)]
    pub min_df: u32,
    /// Iteration cap of the linfa-logistic combiner.
    #[arg(long, default_value_t = 300)]
    pub combiner_max_iterations: u64,
    /// The combiner stops when its loss gradient per training row falls below this.
    #[arg(long, default_value_t = 1e-5)]
    pub combiner_tolerance: f64,
    /// Iteration cap of the text model's L-BFGS.
    #[arg(long, default_value_t = 200)]
    pub max_iterations: u64,
    /// Choose --char-ngrams (2-5, 2-4), --char-limit (3000, 10000) and --alpha (0.1, 0.03, 0.3)
    /// by out-of-fold MCC on the training data (then ROC AUC); slower: every candidate is fitted.
    #[arg(long, conflicts_with_all = ["char_ngrams", "char_limit", "alpha"])]
    pub tune: bool,
}

/// `hardsell eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Labeled input: a table, or a folder / .tar.gz / .zip of raw mail with one sub-folder per label.
    #[arg(long)]
    pub data: PathBuf,
    /// Rename labels (raw-mail folders or table values), as for `train`.
    #[arg(long, value_parser = parse_label_map, default_value = "")]
    pub label_map: LabelMap,
    /// How to read the input table.
    #[command(flatten)]
    pub table: TableArgs,
    /// Output: a readable table, or one JSON object.
    #[arg(long, value_enum, default_value = "text")]
    pub format: EvalFormat,
    /// Baseline metrics JSON to gate on (exit 6 when mcc, f1 or roc_auc drops more than --max-drop).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Largest allowed drop below the baseline.
    #[arg(long, default_value_t = 0.01, requires = "baseline")]
    pub max_drop: f64,
    /// Record the metrics as a baseline file (written atomically).
    #[arg(long)]
    pub write_baseline: Option<PathBuf>,
}

/// Formats of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalFormat {
    /// A readable table.
    Text,
    /// One JSON object.
    Json,
}

/// `hardsell score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A LinkedIn export (folder or .zip), mail (an mbox, .eml files, a maildir, or a folder, .zip or .tgz of them), or CSV/TSV/JSON Lines files (`-` for standard input).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Model file [default: the built-in model, trained on data/outreach by scripts/train-default.sh].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// How to read the input table.
    #[command(flatten)]
    pub table: TableArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Output file [default: standard output].
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Contributing features listed per flagged message: the N strongest of the combiner's,
    /// plus up to 3 n-grams of the text (0: none).
    #[arg(long, default_value_t = 5)]
    pub reasons: usize,
    /// For sender verdicts (an export, a mailbox, `--senders`): how eager flagging is (open
    /// networker … only people you know) [default: balanced].
    #[arg(long, value_enum)]
    pub policy: Option<crate::senders::Policy>,
    /// For an export or a mailbox: you, as a profile URL, address or name [default: found in
    /// the input]; with `--senders`, the rows sent by you (a table without a `direction`
    /// column, such as Outlook's CSV export of Inbox and Sent Items together).
    #[arg(long)]
    pub me: Option<String>,
    /// For an export, a mailbox or `--senders`: also write per-message scores to this file
    /// (same format).
    #[arg(long)]
    pub messages_out: Option<PathBuf>,
    /// For one CSV/TSV/JSON Lines file whose rows name their sender (a `contact_profile_url`,
    /// `sender_profile_url`, `sender`, `from` or Outlook `From: (Address)` column;
    /// `conversation_id`, `direction`, `timestamp`, `kind`, `connected_on` when present): one
    /// verdict per sender, as for an export, instead of one row per message.
    #[arg(long)]
    pub senders: bool,
}

impl TableArgs {
    /// Checked table options; `require_label` for training and evaluation.
    pub fn options(&self, require_label: bool) -> Result<TableOptions> {
        let col = |v: &str| -> ColumnRef {
            match v.parse::<usize>() {
                Ok(n) if self.no_header => ColumnRef::Number(n),
                _ => ColumnRef::Name(v.to_string()),
            }
        };
        Ok(TableOptions {
            text: col(&self.text_column),
            label: col(&self.label_column),
            subject: self.subject_column.as_deref().map(col),
            id: self.id_column.as_deref().map(col),
            delimiter: self.delimiter.as_deref().map(parse_delimiter).transpose()?,
            has_header: !self.no_header,
            quoting: !self.no_quoting,
            require_label,
            me: None,
        })
    }
}

fn parse_delimiter(v: &str) -> Result<u8> {
    match v {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        // The quote and line breaks already mean something in CSV.
        _ if v.len() == 1 && v.is_ascii() && !matches!(v, "\"" | "\n" | "\r") => {
            Ok(v.as_bytes()[0])
        }
        _ => Err(Error::Usage(format!(
            "--delimiter must be one ASCII character other than a quote or a line break, or \
             `tab` (got '{v}')"
        ))),
    }
}

impl TrainArgs {
    /// Checked training parameters.
    pub fn params(&self) -> Result<TrainParams> {
        let mut p = TrainParams {
            folds: self.cv,
            positive: self.positive.clone(),
            min_df: self.min_df,
            combiner_alpha: self.combiner_alpha,
            ..TrainParams::default()
        };
        p.text_logit.alpha = self.alpha;
        p.text_logit.max_iterations = self.max_iterations;
        p.combiner_max_iterations = self.combiner_max_iterations;
        p.combiner_tolerance = self.combiner_tolerance;
        p.text.hash_bits = self.hash_bits;
        p.text.char_ngrams = parse_range(&self.char_ngrams)?;
        p.text.char_limit = self.char_limit;
        if p.text.char_ngrams != (0, 0) && p.text.char_limit == 0 {
            return Err(Error::Usage(
                "--char-limit 0 leaves no characters for --char-ngrams; use --char-ngrams 0-0 \
                 to turn character n-grams off"
                    .into(),
            ));
        }
        if self.tune {
            p.tune = Some(TuneGrid::default());
        }
        Ok(p)
    }
}

fn parse_range(v: &str) -> Result<(usize, usize)> {
    let bad = || {
        Error::Usage(format!(
            "--char-ngrams must be MIN-MAX with 1 <= MIN <= MAX <= 8, or 0-0 (got '{v}')"
        ))
    };
    let (a, b) = v.split_once('-').ok_or_else(bad)?;
    let (a, b): (usize, usize) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    match (a, b) {
        (0, 0) => Ok((0, 0)),
        (a, b) if 1 <= a && a <= b && b <= 8 => Ok((a, b)),
        _ => Err(bad()),
    }
}

/// Folder-name → label renames for raw-mail training data.
pub type LabelMap = Vec<(String, String)>;

fn parse_label_map(v: &str) -> std::result::Result<LabelMap, String> {
    let map: LabelMap = v
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                Ok((from.trim().to_string(), to.trim().to_string()))
            }
            _ => Err(format!("'{pair}' is not FOLDER=LABEL")),
        })
        .collect::<std::result::Result<_, _>>()?;
    for (i, (from, _)) in map.iter().enumerate() {
        if map[..i].iter().any(|(earlier, _)| earlier == from) {
            return Err(format!("'{from}' is mapped twice"));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn train_args(argv: &[&str]) -> (bool, TrainArgs) {
        let cli = Cli::try_parse_from(argv).unwrap();
        match cli.command {
            Command::Train(args) => (cli.quiet, args),
            other => panic!("not train: {other:?}"),
        }
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tune_is_off_by_default_and_refuses_the_flags_it_chooses() {
        let base = ["hardsell", "train", "--data", "a.csv", "--out", "m.json"];
        assert_eq!(train_args(&base).1.params().unwrap().tune, None);
        for flag in [
            ["--alpha", "0.3"],
            ["--char-ngrams", "2-4"],
            ["--char-limit", "10"],
        ] {
            let argv = [&base[..], &["--tune"], &flag[..]].concat();
            let err = Cli::try_parse_from(&argv).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
        }
    }
}
