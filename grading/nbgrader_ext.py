"""An nbgrader preprocessor that cuts output by characters, not only by lines.

nbgrader's LimitOutput counts lines, so ``print("x" * 10**8)`` (one gigantic line) would pass
through untouched and bloat the graded notebook and the feedback HTML. LimitOutputChars runs
after it and keeps at most ``max_chars`` characters of every stream, text result and error message.
It never removes an output, so a failing cell still fails.
"""

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

TRUNCATED = "\n... Output truncated by the grader ({n} characters) ...\n"


def _cut(text, limit):
    if isinstance(text, list):
        text = "".join(text)
    if limit < 0 or len(text) <= limit:
        return text
    return text[:limit] + TRUNCATED.format(n=len(text))


class LimitOutputChars(NbGraderPreprocessor):
    """Keep at most ``max_chars`` characters of each output of a code cell."""

    max_chars = Integer(20000, help="maximum characters per output (-1 means no limit)").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.max_chars < 0:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = _cut(output.text, self.max_chars)
            elif output.output_type in ("execute_result", "display_data"):
                for mime in list(output.get("data", {})):
                    if mime.startswith("text/"):
                        output.data[mime] = _cut(output.data[mime], self.max_chars)
            elif output.output_type == "error":
                output.evalue = _cut(output.evalue, self.max_chars)
                output.traceback = [_cut(line, self.max_chars) for line in output.traceback]
        return cell, resources
