using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Core.Tests.Messaging;

public sealed class SendRulesTests
{
    [Theory]
    [InlineData("+15551112222", true)]
    [InlineData("+1234567", true)]
    [InlineData("+123456789012345", true)]
    [InlineData("+123456", false)]
    [InlineData("+1234567890123456", false)]
    [InlineData("+05551112222", false)]
    [InlineData("15551112222", false)]
    [InlineData("+1555111222a", false)]
    [InlineData("+1 555 111 2222", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsE164_ChecksSyntaxOnly(string? number, bool expected) => Assert.Equal(expected, SendRules.IsE164(number));

    [Theory]
    [InlineData("order-7421", true)]
    [InlineData("a.b_c:d-E9", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("ümlaut", false)]
    public void TagProblem_AllowsOnlyTheDocumentedAlphabet(string tag, bool valid) => Assert.Equal(valid, SendRules.TagProblem(tag) is null);

    [Fact]
    public void TagProblem_At64And65Characters_AcceptsThenRefuses()
    {
        Assert.Null(SendRules.TagProblem(new string('a', 64)));
        Assert.NotNull(SendRules.TagProblem(new string('a', 65)));
    }

    [Theory]
    [InlineData("https://cdn.example.com/a.png", true)]
    [InlineData("http://cdn.example.com/a.png", false)]
    [InlineData("https://user:pw@cdn.example.com/a.png", false)]
    [InlineData("ftp://cdn.example.com/a.png", false)]
    [InlineData("/relative/a.png", false)]
    public void IsExternalUrl_AcceptsOnlyAbsoluteHttpsWithoutCredentials(string entry, bool expected) =>
        Assert.Equal(expected, SendRules.IsExternalUrl(entry));

    [Fact]
    public void TextProblem_CountsScalarValuesNotUtf16Units()
    {
        Assert.Null(SendRules.TextProblem(string.Concat(Enumerable.Repeat("😀", 1600)), hasMedia: false));
        Assert.NotNull(SendRules.TextProblem(new string('a', 1601), hasMedia: false));
        Assert.NotNull(SendRules.TextProblem(string.Empty, hasMedia: false));
        Assert.Null(SendRules.TextProblem(string.Empty, hasMedia: true));
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("bell\u0007")]
    [InlineData("\u001b[31mred")]
    [InlineData("vertical\vtab")]
    [InlineData("del\u007f")]
    [InlineData("next line\u0085")]
    public void TextProblem_ControlCharacters_AreRefused(string text) =>
        Assert.Equal("must not contain control characters other than tab, line feed and carriage return", SendRules.TextProblem(text, hasMedia: false));

    [Fact]
    public void TextProblem_TabLineFeedAndCarriageReturn_AreText() =>
        Assert.Null(SendRules.TextProblem("line 1\r\nline 2\tend\n", hasMedia: false));

    [Fact]
    public void PageToken_RoundTripsAndRejectsForgeries()
    {
        Assert.Equal(42, PageToken.Decode(PageToken.Encode(42)));

        var forged = Assert.Throws<RefusalException>(() => PageToken.Decode("djE6LTE")); // "v1:-1"
        Assert.Equal(RefusalKind.ValidationFailed, forged.Kind);
        Assert.Throws<RefusalException>(() => PageToken.Decode("!!!"));
    }
}
