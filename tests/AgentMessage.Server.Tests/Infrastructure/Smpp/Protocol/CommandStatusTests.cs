using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

public sealed class CommandStatusTests
{
    [Theory]
    [InlineData(CommandStatus.Ok, "ESME_ROK")]
    [InlineData(CommandStatus.InvalidMessageLength, "ESME_RINVMSGLEN")]
    [InlineData(CommandStatus.Throttled, "ESME_RTHROTTLED")]
    [InlineData(CommandStatus.MessageQueueFull, "ESME_RMSGQFUL")]
    [InlineData(CommandStatus.InvalidOptionalParameter, "ESME_RINVOPTPARSTREAM")]
    [InlineData(CommandStatus.ReceiverTemporaryError, "ESME_RX_T_APPN")]
    [InlineData(0x09u, "0x00000009")] // reserved
    [InlineData(0x400u, "0x00000400")] // vendor-specific
    public void Name_IsSpecNameOrHex(uint status, string name)
    {
        Assert.Equal(name, CommandStatus.Name(status));
    }

    [Theory]
    [InlineData(CommandStatus.Throttled)]
    [InlineData(CommandStatus.MessageQueueFull)]
    [InlineData(CommandStatus.SystemError)]
    [InlineData(CommandStatus.ReceiverTemporaryError)]
    [InlineData(CommandStatus.IncorrectBindStatus)]
    public void IsTransient_TryLaterStatuses_IsTrue(uint status)
    {
        Assert.True(CommandStatus.IsTransient(status));
    }

    [Theory]
    [InlineData(CommandStatus.Ok)]
    [InlineData(CommandStatus.InvalidMessageLength)]
    [InlineData(CommandStatus.InvalidSourceAddress)]
    [InlineData(CommandStatus.InvalidDestinationAddress)]
    [InlineData(CommandStatus.SubmitFailed)]
    [InlineData(CommandStatus.InvalidEsmClass)]
    [InlineData(CommandStatus.ReceiverPermanentError)]
    [InlineData(CommandStatus.UnknownError)]
    [InlineData(0x400u)]
    public void IsTransient_RefusalsOfTheMessage_IsFalse(uint status)
    {
        Assert.False(CommandStatus.IsTransient(status));
    }

    [Fact]
    public void CommandIds_ResponseOfRequest_HasTopBitAndIsResponse()
    {
        Assert.Equal(CommandId.SubmitSmResp, CommandIds.ResponseOf(CommandId.SubmitSm));
        Assert.Equal(CommandId.GenericNack, CommandIds.ResponseOf(CommandId.GenericNack));
        Assert.True(new SubmitSmResp("").IsResponse);
        Assert.False(new SubmitSm().IsResponse);
    }
}
