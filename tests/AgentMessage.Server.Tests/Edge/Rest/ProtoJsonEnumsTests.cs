using System.Buffers;
using System.Text.Json;
using AgentMessage.Server.Edge.Rest;
using AgentMessage.V1;

namespace AgentMessage.Server.Tests.Edge.Rest;

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
    public void WriteOutgoing_CopiesEveryOtherByteAsItIs()
    {
        var output = Rewrite(
            """{"id":"x","text":"a\"b\u0001\/é \u00e9","status":"MESSAGE_STATUS_SENT","segments":1.50e1,"media":[],"priority":"PRIORITY_NOT_IN_THE_CONTRACT"}""",
            Message.Descriptor,
            outgoing: true);

        Assert.Equal("""{"id":"x","text":"a\"b\u0001\/é \u00e9","status":"sent","segments":1.50e1,"media":[],"priority":"PRIORITY_NOT_IN_THE_CONTRACT"}""", output);
    }

    [Fact]
    public void WriteOutgoing_LeavesMapsUnknownFieldsAndNonStringsAlone()
    {
        var output = Rewrite(
            """{"upload_headers":{"status":"MESSAGE_STATUS_SENT"},"other":{"status":"MESSAGE_STATUS_SENT","x":[{"status":"CHANNEL_SMS"}]},"media_id":"MESSAGE_STATUS_SENT"}""",
            CreateMediaUploadResponse.Descriptor,
            outgoing: true);
        var numbers = Rewrite("""{"status":7,"channel":null,"priority":[1,"PRIORITY_HIGH"]}""", Message.Descriptor, outgoing: true);

        Assert.Equal("""{"upload_headers":{"status":"MESSAGE_STATUS_SENT"},"other":{"status":"MESSAGE_STATUS_SENT","x":[{"status":"CHANNEL_SMS"}]},"media_id":"MESSAGE_STATUS_SENT"}""", output);
        Assert.Equal("""{"status":7,"channel":null,"priority":[1,"PRIORITY_HIGH"]}""", numbers);
    }

    [Fact]
    public void WriteOutgoing_RewritesRepeatedEnums()
    {
        var output = Rewrite("""{"type":"a/B","style":["DECLARATIVE_FRIENDLY","STYLE_UNSPECIFIED",5],"history":"ORIGINALLY_SINGLE_PATTERN"}""", Google.Api.ResourceDescriptor.Descriptor, outgoing: true);

        Assert.Equal("""{"type":"a/B","style":["declarative_friendly","unspecified",5],"history":"originally_single_pattern"}""", output);
    }

    [Fact]
    public void WriteOutgoing_CapturesOnlyTheTopLevelId()
    {
        var output = new ArrayBufferWriter<byte>();
        var nested = ProtoJsonEnums.WriteOutgoing("""{"message":{"id":"inner"}}"""u8, GetMessageResponse.Descriptor, output, captureRootId: true);
        var top = ProtoJsonEnums.WriteOutgoing("""{"text":"id","i\u0064":"8f3a","status":"MESSAGE_STATUS_QUEUED"}"""u8, Message.Descriptor, output, captureRootId: true);

        Assert.Null(nested);
        Assert.Equal("8f3a", top);
    }

    [Fact]
    public void RewriteIncoming_WithoutEnumValues_WritesNothing()
    {
        var output = new ArrayBufferWriter<byte>();
        var found = ProtoJsonEnums.RewriteIncoming(
            """{"from":"+15551112222","text":"PRIORITY_HIGH high","tag":"high","media":["x"],"unknown":{"priority":"high"},"priority":"PRIORITY_HIGH"}"""u8,
            SendMessageRequest.Descriptor,
            output);

        Assert.Equal(ProtoJsonEnums.IncomingBody.Unchanged, found);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void RewriteIncoming_RewritesNestedRepeatedAndEscapedNamesInPlace()
    {
        var output = Rewrite(
            """{ "messages" : [ {"status": "Sent", "text": "sent"}, {"st\u0061tus":"deliv\u0065red"}, [ "sent" ] ], "next_page_token" : "queued" }""",
            ListMessagesResponse.Descriptor,
            outgoing: false);
        var repeated = Rewrite("""{"style":["declarative_friendly",1,null,"nope"]}""", Google.Api.ResourceDescriptor.Descriptor, outgoing: false);

        Assert.Equal("""{ "messages" : [ {"status": "MESSAGE_STATUS_SENT", "text": "sent"}, {"st\u0061tus":"MESSAGE_STATUS_DELIVERED"}, [ "sent" ] ], "next_page_token" : "queued" }""", output);
        Assert.Equal("""{"style":["DECLARATIVE_FRIENDLY",1,null,-1]}""", repeated);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"priority\"")]
    [InlineData("null")]
    public void RewriteIncoming_NotAnObject_IsSaidAndNothingIsWritten(string json)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(ProtoJsonEnums.IncomingBody.NotAnObject, ProtoJsonEnums.RewriteIncoming(System.Text.Encoding.UTF8.GetBytes(json), SendMessageRequest.Descriptor, output));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"priority\":\"high\"} {}")]
    [InlineData("{\"priority\":\"high\",}")]
    [InlineData("{\"priority\":\"high\"")]
    [InlineData("[\"a\",")]
    public void RewriteIncoming_InvalidJson_Throws(string json)
    {
        Assert.ThrowsAny<JsonException>(() => ProtoJsonEnums.RewriteIncoming(System.Text.Encoding.UTF8.GetBytes(json), SendMessageRequest.Descriptor, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void RewriteIncoming_IllFormedUtf8_IsReencodedEverywhere()
    {
        byte[] json = [.. "{\"text\" : \"a"u8, 0xFF, .. "b\\n\", \"x\": [\"\\u00e9"u8, 0xC3, .. "\", {\"k\":1}], \"priority\":\"high\"}"u8];
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(ProtoJsonEnums.IncomingBody.Rewritten, ProtoJsonEnums.RewriteIncoming(json, SendMessageRequest.Descriptor, output));
        Assert.Equal("""{"text" : "a\uFFFDb\n", "x": ["é\uFFFD",{"k":1}], "priority":"PRIORITY_HIGH"}""", System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void RewriteIncoming_LoneSurrogateEscape_IsNotValidJson()
    {
        Assert.Throws<JsonException>(() =>
            ProtoJsonEnums.RewriteIncoming("""{"text":"a\uD800b"}"""u8, SendMessageRequest.Descriptor, new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void RewriteIncoming_SurrogatePairEscape_IsReencodedAsBefore()
    {
        var output = Rewrite("""{"text":"\ud83d\ude00","priority":"high"}""", SendMessageRequest.Descriptor, outgoing: false);

        Assert.Equal("""{"text":"\uD83D\uDE00","priority":"PRIORITY_HIGH"}""", output);
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
        var output = new ArrayBufferWriter<byte>();
        var utf8 = System.Text.Encoding.UTF8.GetBytes(json);
        if (outgoing)
        {
            ProtoJsonEnums.WriteOutgoing(utf8, descriptor, output);
            return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
        }

        return ProtoJsonEnums.RewriteIncoming(utf8, descriptor, output) switch
        {
            ProtoJsonEnums.IncomingBody.Rewritten => System.Text.Encoding.UTF8.GetString(output.WrittenSpan),
            ProtoJsonEnums.IncomingBody.Unchanged when output.WrittenCount == 0 => json,
            var other => throw new Xunit.Sdk.XunitException($"{other} with {output.WrittenCount} bytes written"),
        };
    }
}
