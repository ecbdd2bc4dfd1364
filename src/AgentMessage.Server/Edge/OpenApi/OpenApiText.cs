namespace AgentMessage.Server.Edge.OpenApi;

/// <summary>Proto comments, as the XML documentation carries them, turned into document text.</summary>
public static class OpenApiText
{
    /// <summary>
    /// Joins the lines of each paragraph (proto comments wrap at 100 columns; the document's text
    /// wraps where the reader's window does) and keeps blank lines as paragraph breaks.
    /// </summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return string.Empty;
        }

        var paragraphs = new List<string>();
        var current = new List<string>();
        foreach (var line in text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n').Select(l => l.Trim()))
        {
            if (line.Length == 0)
            {
                Flush();
            }
            else
            {
                current.Add(line);
            }
        }

        Flush();
        return string.Join("\n\n", paragraphs);

        void Flush()
        {
            if (current.Count > 0)
            {
                paragraphs.Add(string.Join(' ', current));
                current.Clear();
            }
        }
    }

    /// <summary>The first sentence of cleaned text, for an operation's summary.</summary>
    public static string FirstSentence(string text)
    {
        var paragraph = text.Split("\n\n")[0];
        var end = paragraph.IndexOf(". ", StringComparison.Ordinal);
        var sentence = end < 0 ? paragraph : paragraph[..(end + 1)];
        return sentence.TrimEnd('.');
    }
}
