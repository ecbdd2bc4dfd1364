using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Tests.Messaging;

public sealed class InboundServiceTests
{
    [Fact]
    public void Problems_NameEachBadField()
    {
        var problems = InboundService.Problems("12345", "+1", null, ["ftp://carrier.example/a.jpg", "https://carrier.example/b.jpg"], "has space");

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["from"] = "must be E.164",
                ["to"] = "must be E.164",
                ["text"] = "is required",
                ["media[0]"] = "must be an http:// or https:// URL",
                ["carrier_message_id"] = "must be 1..128 printable ASCII characters without spaces",
            },
            problems);
    }

    [Theory]
    [InlineData("SM1234567890abcdef")]
    [InlineData("0x1F/2:3-4_5")]
    public void Problems_AcceptAWellFormedMessage(string carrierMessageId) =>
        Assert.Empty(InboundService.Problems("+15554443333", "+15551112222", "", ["http://carrier.example/a.jpg"], carrierMessageId));

    [Fact]
    public void Problems_RefuseMoreThanTenMediaItems_AndALongCarrierId()
    {
        var problems = InboundService.Problems("+15554443333", "+15551112222", "hi", [.. Enumerable.Repeat("https://carrier.example/a.jpg", 11)], new string('x', 129));

        Assert.Equal(["carrier_message_id", "media"], problems.Keys.Order());
    }
}
