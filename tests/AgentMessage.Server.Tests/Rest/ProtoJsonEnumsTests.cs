using System.Text.Json;
using AgentMessage.Server.Rest;
using AgentMessage.V1;

namespace AgentMessage.Server.Tests.Rest;

public sealed class ProtoJsonEnumsTests
{
    [Theory]
    [InlineData(MessageStatus.Queued, "queued")]
    [InlineData(MessageStatus.Undelivered, "undelivered")]
    [InlineData(Channel.Mms, "mms")]
    [InlineData(Priority.Default, "default")]
    [InlineData(V1.Encoding.Gsm7, "gsm7")]
    public void ToRestName_DropsTheEnumPrefixAndLowerCases(object value, string expected)
    {
        var descriptor = value switch
        {
            MessageStatus s => EnumType("MessageStatus").FindValueByNumber((int)s),
            Channel c => EnumType("Channel").FindValueByNumber((int)c),
            Priority p => EnumType("Priority").FindValueByNumber((int)p),
            V1.Encoding e => EnumType("Encoding").FindValueByNumber((int)e),
            _ => throw new ArgumentException("not an enum of the contract"),
        };

        Assert.Equal(expected, ProtoJsonEnums.ToRestName(descriptor));
    }

    [Fact]
    public void WriteOutgoing_RewritesNestedAndRepeatedEnumsOnly()
    {
        var output = Rewrite(
            """{"messages":[{"status":"MESSAGE_STATUS_SENT","channel":"CHANNEL_SMS","text":"MESSAGE_STATUS_SENT"}],"next_page_token":""}""",
            ListMessagesResponse.Descriptor,
            outgoing: true);

        Assert.Equal("""{"messages":[{"status":"sent","channel":"sms","text":"MESSAGE_STATUS_SENT"}],"next_page_token":""}""", output);
    }

    [Fact]
    public void WriteIncoming_MapsRestNamesAndMarksUnknownOnes()
    {
        var output = Rewrite("""{"priority":"High","text":"high","tag":"x"}""", SendMessageRequest.Descriptor, outgoing: false);
        var unknown = Rewrite("""{"priority":"urgent"}""", SendMessageRequest.Descriptor, outgoing: false);
        var unspecified = Rewrite("""{"priority":"unspecified"}""", SendMessageRequest.Descriptor, outgoing: false);

        Assert.Equal("""{"priority":"PRIORITY_HIGH","text":"high","tag":"x"}""", output);
        Assert.Equal("""{"priority":-1}""", unknown);
        Assert.Equal("""{"priority":-1}""", unspecified);
    }

    [Fact]
    public void ToProtoName_ForQueryValues_AcceptsNamesAndNumbers()
    {
        Assert.Equal("MESSAGE_STATUS_DELIVERED", ProtoJsonEnums.ToProtoName(EnumType("MessageStatus"), "delivered"));
        Assert.Equal("4", ProtoJsonEnums.ToProtoName(EnumType("MessageStatus"), "4"));
        Assert.Equal("-1", ProtoJsonEnums.ToProtoName(EnumType("MessageStatus"), "sleeping"));
    }

    private static Google.Protobuf.Reflection.EnumDescriptor EnumType(string name) =>
        MessagingServiceReflection.Descriptor.EnumTypes.Single(e => e.Name == name);

    private static string Rewrite(string json, Google.Protobuf.Reflection.MessageDescriptor descriptor, bool outgoing)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, RestEnvelope.WriterOptions))
        {
            if (outgoing)
            {
                ProtoJsonEnums.WriteOutgoing(document.RootElement, descriptor, writer);
            }
            else
            {
                ProtoJsonEnums.WriteIncoming(document.RootElement, descriptor, writer);
            }
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
