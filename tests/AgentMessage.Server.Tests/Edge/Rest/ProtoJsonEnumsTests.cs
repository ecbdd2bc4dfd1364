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
            """{ "messages" : [ {"status": "Sent", "text": "sent"}, {"st\u0061tus":"deliv\u0065red"} ], "next_page_token" : "queued" }""",
            ListMessagesResponse.Descriptor,
            outgoing: false);
        var repeated = Rewrite("""{"style":["declarative_friendly",1,"nope"]}""", Google.Api.ResourceDescriptor.Descriptor, outgoing: false);

        Assert.Equal("""{ "messages" : [ {"status": "MESSAGE_STATUS_SENT", "text": "sent"}, {"st\u0061tus":"MESSAGE_STATUS_DELIVERED"} ], "next_page_token" : "queued" }""", output);
        Assert.Equal("""{"style":["DECLARATIVE_FRIENDLY",1,-1]}""", repeated);
    }

    [Fact]
    public void RewriteIncoming_NullListsAndMaps_BecomeEmptyOnesAndNullScalarsStay()
    {
        var send = Rewrite("""{"media" : null,"text":null,"send_at":null,"priority":null}""", SendMessageRequest.Descriptor, outgoing: false);
        var map = Rewrite("""{"upload_headers":null, "media_id":null}""", CreateMediaUploadResponse.Descriptor, outgoing: false);
        var nested = Rewrite("""{"messages":[{"media":null}]}""", ListMessagesResponse.Descriptor, outgoing: false);

        Assert.Equal("""{"media" : [],"text":null,"send_at":null,"priority":null}""", send);
        Assert.Equal("""{"upload_headers":{}, "media_id":null}""", map);
        Assert.Equal("""{"messages":[{"media":[]}]}""", nested);
    }

    [Theory]
    [InlineData("""{"media":[null]}""", "media[0]", "must be a string")]
    [InlineData("""{"media":["a",7]}""", "media[1]", "must be a string")]
    [InlineData("""{"media":"https://x.example/a.png"}""", "media", "must be an array")]
    [InlineData("""{"media":{}}""", "media", "must be an array")]
    [InlineData("""{"text":5}""", "text", "must be a string")]
    [InlineData("""{"text":{"a":1}}""", "text", "must be a string")]
    [InlineData("""{"text":true}""", "text", "must be a string")]
    [InlineData("""{"priority":[1]}""", "priority", "must be one of: default, high")]
    [InlineData("""{"priority":1.5}""", "priority", "must be one of: default, high")]
    [InlineData("""{"validity_period_seconds":"60"}""", "validity_period_seconds", "must be a 32-bit integer")]
    [InlineData("""{"validity_period_seconds":1.5}""", "validity_period_seconds", "must be a 32-bit integer")]
    [InlineData("""{"validity_period_seconds":99999999999}""", "validity_period_seconds", "must be a 32-bit integer")]
    [InlineData("""{"send_at":"yesterday"}""", "send_at", "must be an RFC 3339 timestamp")]
    [InlineData("""{"send_at":1700000000}""", "send_at", "must be an RFC 3339 timestamp")]
    [InlineData("""{"send_at":{}}""", "send_at", "must be an RFC 3339 timestamp")]
    public void RewriteIncoming_AValueItsFieldCannotHold_NamesTheField(string json, string field, string problem)
    {
        var wrong = Assert.Throws<RequestFieldException>(() =>
            ProtoJsonEnums.RewriteIncoming(System.Text.Encoding.UTF8.GetBytes(json), SendMessageRequest.Descriptor, new ArrayBufferWriter<byte>()));

        Assert.Equal((field, problem), (wrong.Field, wrong.Problem));
    }

    [Theory]
    [InlineData("""{"scopes":["messages:send",null]}""", "scopes[1]", "must be a string")]
    [InlineData("""{"scopes":[["messages:send"]]}""", "scopes[0]", "must be a string")]
    public void RewriteIncoming_AnItemOfAnotherRequestsList_IsNamedByItsIndex(string json, string field, string problem)
    {
        var wrong = Assert.Throws<RequestFieldException>(() =>
            ProtoJsonEnums.RewriteIncoming(System.Text.Encoding.UTF8.GetBytes(json), CreateApiKeyRequest.Descriptor, new ArrayBufferWriter<byte>()));

        Assert.Equal((field, problem), (wrong.Field, wrong.Problem));
    }

    [Theory]
    [InlineData("""{"send_rate_limit":{"burst":"ten"}}""", "send_rate_limit.burst", "must be a 32-bit integer")]
    [InlineData("""{"send_rate_limit":{"burst":10,"per_second":"fast"}}""", "send_rate_limit.per_second", "must be a number")]
    [InlineData("""{"send_rate_limit":{"burst":10,"per_second":"2.5"}}""", "send_rate_limit.per_second", "must be a number")]
    [InlineData("""{"media_upload_rate_limit":{"per_second":" NaN"}}""", "media_upload_rate_limit.per_second", "must be a number")]
    [InlineData("""{"send_rate_limit":[]}""", "send_rate_limit", "must be an object")]
    [InlineData("""{"mms_enabled":"yes"}""", "mms_enabled", "must be true or false")]
    [InlineData("""{"name":null,"mms_enabled":1}""", "mms_enabled", "must be true or false")]
    public void RewriteIncoming_AValueInsideANestedMessage_IsNamedByItsPath(string json, string field, string problem)
    {
        var wrong = Assert.Throws<RequestFieldException>(() =>
            ProtoJsonEnums.RewriteIncoming(System.Text.Encoding.UTF8.GetBytes(json), CreateOrganizationRequest.Descriptor, new ArrayBufferWriter<byte>()));

        Assert.Equal((field, problem), (wrong.Field, wrong.Problem));
    }

    [Theory]
    [InlineData("""{"byte_size":100}""")]
    [InlineData("""{"byte_size":"100"}""")]
    [InlineData("""{"byte_size":"-100"}""")]
    [InlineData("""{"byte_size":null,"mime_type":null}""")]
    public void RewriteIncoming_ValuesTheMappingAllows_PassUnchanged(string json)
    {
        Assert.Equal(json, Rewrite(json, CreateMediaUploadRequest.Descriptor, outgoing: false));
    }

    [Theory]
    [InlineData("""{"send_rate_limit":{"burst":10,"per_second":2.5},"mms_enabled":false,"name":"n"}""")]
    [InlineData("""{"send_rate_limit":{"burst":10,"per_second":1e999},"media_upload_rate_limit":null}""")]
    [InlineData("""{"send_rate_limit":{"per_second":"NaN"},"media_upload_rate_limit":{"per_second":"-Infinity"}}""")]
    public void RewriteIncoming_NestedValuesTheMappingAllows_PassUnchanged(string json)
    {
        Assert.Equal(json, Rewrite(json, CreateOrganizationRequest.Descriptor, outgoing: false));
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

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    [InlineData(new byte[] { 0xC3 })]
    public void RewriteIncoming_IllFormedUtf8_IsNotUtf8AndNothingIsWritten(byte[] invalid)
    {
        byte[] json = [.. "{\"text\" : \"a"u8, .. invalid, .. "b\", \"priority\":\"high\"}"u8];
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(ProtoJsonEnums.IncomingBody.NotUtf8, ProtoJsonEnums.RewriteIncoming(json, SendMessageRequest.Descriptor, output));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("""{"text":"a\uD800b"}""")]
    [InlineData("""{"text":"\udc00"}""")]
    [InlineData("""{"text":"\udc00\ud800"}""")]
    [InlineData("""{"text":"\ud83d"}""")]
    [InlineData("""{"text":"\ud83d\u0041"}""")]
    [InlineData("""{"text":"\ud83d\ud83d\ude00"}""")]
    [InlineData("""{"unknown":"\\\uD800"}""")]
    [InlineData("""{"t\uDE00xt":"a"}""")]
    public void RewriteIncoming_UnpairedSurrogateEscape_IsNotValidJson(string json)
    {
        Assert.Throws<JsonException>(() =>
            ProtoJsonEnums.RewriteIncoming(System.Text.Encoding.UTF8.GetBytes(json), SendMessageRequest.Descriptor, new ArrayBufferWriter<byte>()));
    }

    [Theory]
    [InlineData("""{"text":"\ud83d\ude00","priority":"high"}""", """{"text":"\ud83d\ude00","priority":"PRIORITY_HIGH"}""")]
    [InlineData("""{"text":"\\uD800 is how JSON spells half a pair"}""", """{"text":"\\uD800 is how JSON spells half a pair"}""")]
    [InlineData("""{"text":"\\\\\ud83d\ude00\u00e9"}""", """{"text":"\\\\\ud83d\ude00\u00e9"}""")]
    public void RewriteIncoming_SurrogatePairsAndEscapedBackslashes_PassAsWritten(string json, string expected)
    {
        Assert.Equal(expected, Rewrite(json, SendMessageRequest.Descriptor, outgoing: false));
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
