using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

/// <summary>Receipt matching values: message ids and message states.</summary>
public sealed class MessageIdsTests
{
    [Theory]
    [InlineData("abc123", "abc123")]
    [InlineData("ABC123", "abc123")]
    [InlineData("000A1B2C", "a1b2c")]
    [InlineData("  00042 ", "42")]
    [InlineData("0000", "0")]
    [InlineData("0", "0")]
    [InlineData("", "")]
    [InlineData("0-ab", "-ab")]
    public void Normalize_TrimsLowersAndStripsLeadingZeros(string id, string expected)
    {
        Assert.Equal(expected, MessageIds.Normalize(id));
    }

    [Fact]
    public void DecimalAsHex_DecimalOfHexId_MatchesTheNormalizedHexId()
    {
        Assert.Equal("a1b2c", MessageIds.DecimalAsHex("662316"));
        Assert.Equal(MessageIds.Normalize("000A1B2C"), MessageIds.Normalize(MessageIds.DecimalAsHex("662316")!));
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("00255", "ff")]
    [InlineData(" 16 ", "10")]
    [InlineData("340282366920938463463374607431768211455", "ffffffffffffffffffffffffffffffff")] // 2^128 - 1
    public void DecimalAsHex_DecimalId_IsItsValueInHex(string id, string expected)
    {
        Assert.Equal(expected, MessageIds.DecimalAsHex(id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12a")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1 2")]
    [InlineData("1,000")]
    [InlineData("\u0661\u0662")] // Arabic-Indic digits
    [InlineData("340282366920938463463374607431768211456")] // 2^128
    public void DecimalAsHex_NotDecimalOrTooBig_IsNull(string id)
    {
        Assert.Null(MessageIds.DecimalAsHex(id));
    }

    [Theory]
    [InlineData(MessageState.Enroute, "ENROUTE")]
    [InlineData(MessageState.Delivered, "DELIVRD")]
    [InlineData(MessageState.Expired, "EXPIRED")]
    [InlineData(MessageState.Deleted, "DELETED")]
    [InlineData(MessageState.Undeliverable, "UNDELIV")]
    [InlineData(MessageState.Accepted, "ACCEPTD")]
    [InlineData(MessageState.Unknown, "UNKNOWN")]
    [InlineData(MessageState.Rejected, "REJECTD")]
    public void ToStat_EachState_IsItsReceiptStat(byte state, string stat)
    {
        Assert.Equal(stat, MessageState.ToStat(state));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(0xFF)]
    public void ToStat_UndefinedState_IsNull(byte state)
    {
        Assert.Null(MessageState.ToStat(state));
    }
}
